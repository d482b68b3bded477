import CanonicalJSON

/// One line of the audit log as the verifier needs it: what kind it is, its number, the hash
/// it links to, and (for checkpoints) where its signed fields are. Parsing validates the whole
/// line — canonical JSON, the exact set of keys, field formats — without allocating.
struct AuditLine {
    enum Kind: UInt8 { case entry, checkpoint }

    var kind: Kind
    /// `seq` of an entry, `size` of a checkpoint.
    var number: Int64
    /// `prev` of an entry, `head` of a checkpoint.
    var link: Digest
    /// Checkpoints: the `number` field (1, 2, 3 … over checkpoints).
    var checkpointNumber: Int64 = 0
    var origin = Digest()
    /// Entries: `time` in seconds since 1970.
    var time: Int64 = 0
    // Spans (byte ranges within the line) of string fields the verifier reads later.
    var action: Range<Int> = 0..<0
    var algorithm: Range<Int> = 0..<0
    var keyID: Range<Int> = 0..<0
    var signature: Range<Int> = 0..<0

    private enum Field: UInt8 {
        case action, actor, details, prev, seq, target, time
        case alg, head, keyid, number, origin, sig, size, type
    }

    private static let entryFields: [(StaticString, Field)] = [
        ("action", .action), ("actor", .actor), ("details", .details), ("prev", .prev), ("seq", .seq), ("target", .target), ("time", .time),
    ]
    private static let checkpointFields: [(StaticString, Field)] = [
        ("alg", .alg), ("head", .head), ("keyid", .keyid), ("number", .number), ("origin", .origin), ("sig", .sig), ("size", .size), ("type", .type),
    ]

    /// Field names as documented, for error messages.
    static let entryFieldNames = entryFields.map { "\($0.0)" }
    static let checkpointFieldNames = checkpointFields.map { "\($0.0)" }

    static func parse(_ line: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> AuditLine {
        var scanner = JSONScanner(line)
        var parsed = AuditLine(kind: .entry, number: 0, link: .zero)
        try scanner.expect(UInt8(ascii: "{"), "{ at the start of the line")
        // The line's own object is one level, as in CanonicalJSON.parse.
        scanner.depth = 1
        var template: [(StaticString, Field)]? = nil
        var index = 0
        while true {
            guard scanner.current == UInt8(ascii: "\"") else { throw scanner.fail("expected a quoted key") }
            let keyStart = scanner.position
            let key = try scanner.string()
            if template == nil {
                if scanner.span(key, equals: "action") {
                    template = entryFields
                } else if scanner.span(key, equals: "alg") {
                    template = checkpointFields
                    parsed.kind = .checkpoint
                } else {
                    throw scanner.fail("first key must be \"action\" (entry) or \"alg\" (checkpoint)", at: keyStart)
                }
            }
            let fields = template!
            guard index < fields.count, scanner.span(key, equals: fields[index].0) else {
                let expected = index < fields.count ? "\"\(fields[index].0)\"" : "the end of the object"
                throw scanner.fail("unexpected key \"\(scanner.decode(key))\" where \(expected) belongs", at: keyStart)
            }
            try scanner.expect(UInt8(ascii: ":"), ":")
            try readValue(fields[index], into: &parsed, scanner: &scanner)
            index += 1
            guard let next = scanner.current else { throw scanner.fail("line ends inside the object") }
            scanner.position += 1
            if next == UInt8(ascii: "}") { break }
            guard next == UInt8(ascii: ",") else { throw scanner.fail("expected , or }", at: scanner.position - 1) }
        }
        if index != template!.count {
            throw scanner.fail("missing key \"\(template![index].0)\"")
        }
        guard scanner.position == line.count else { throw scanner.fail("unexpected bytes after the JSON object") }
        return parsed
    }

    /// Reads the value of one field (the scanner just past its key and colon) into `parsed`.
    private static func readValue(_ field: (StaticString, Field), into parsed: inout AuditLine, scanner: inout JSONScanner) throws(JSONSyntaxError) {
        let line = scanner.bytes
        let valueStart = scanner.position
        switch field.1 {
        case .action:
            parsed.action = try nonEmptyString(&scanner, "action")
        case .actor, .target:
            _ = try nonEmptyString(&scanner, field.0)
        case .details:
            guard scanner.current == UInt8(ascii: "{") else { throw scanner.fail("details must be an object") }
            _ = try scanner.object(materialize: false)
        case .prev, .head:
            parsed.link = try digest(&scanner, field.0)
        case .origin:
            parsed.origin = try digest(&scanner, "origin")
        case .seq, .size, .number:
            guard scanner.current != UInt8(ascii: "\"") else { throw scanner.fail("\(field.0.description) must be an integer") }
            let value = try scanner.integer()
            guard value >= 1 else { throw scanner.fail("\(field.0) must be at least 1", at: valueStart) }
            if field.1 == .number { parsed.checkpointNumber = value } else { parsed.number = value }
        case .time:
            let span = try string(&scanner, "time")
            guard let seconds = RFC3339.seconds(line, span) else {
                throw scanner.fail("time is not YYYY-MM-DDTHH:MM:SSZ (RFC 3339, UTC, whole seconds)", at: valueStart)
            }
            parsed.time = seconds
        case .alg:
            parsed.algorithm = try nonEmptyString(&scanner, "alg")
        case .keyid:
            let span = try string(&scanner, "keyid")
            guard span.count == 64, Digest(hex: UnsafeBufferPointer(rebasing: line[span])) != nil else {
                throw scanner.fail("keyid must be 64 lowercase hex digits", at: valueStart)
            }
            parsed.keyID = span
        case .sig:
            parsed.signature = try nonEmptyString(&scanner, "sig")
        case .type:
            let span = try string(&scanner, "type")
            guard scanner.span(span, equals: "checkpoint") else { throw scanner.fail("type must be \"checkpoint\"", at: valueStart) }
        }
    }

    private static func string(_ scanner: inout JSONScanner, _ name: StaticString) throws(JSONSyntaxError) -> Range<Int> {
        guard scanner.current == UInt8(ascii: "\"") else { throw scanner.fail("\(name) must be a string") }
        return try scanner.string()
    }

    private static func nonEmptyString(_ scanner: inout JSONScanner, _ name: StaticString) throws(JSONSyntaxError) -> Range<Int> {
        let start = scanner.position
        let span = try string(&scanner, name)
        guard !span.isEmpty else { throw scanner.fail("\(name) must not be empty", at: start) }
        return span
    }

    private static func digest(_ scanner: inout JSONScanner, _ name: StaticString) throws(JSONSyntaxError) -> Digest {
        let start = scanner.position
        let span = try string(&scanner, name)
        guard let value = Digest(hex: UnsafeBufferPointer(rebasing: scanner.bytes[span])) else {
            throw scanner.fail("\(name) must be 64 lowercase hex digits", at: start)
        }
        return value
    }
}
