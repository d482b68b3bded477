import CanonicalJSON

/// What a caller asks to record; the writer assigns `seq`, `time` and `prev`.
public struct AuditEntryDraft: Sendable, Equatable {
    public var actor: String
    public var action: String
    public var target: String
    public var details: [String: JSONValue]

    public init(actor: String, action: String, target: String, details: [String: JSONValue] = [:]) {
        self.actor = actor
        self.action = action
        self.target = target
        self.details = details
    }
}

/// One entry line of the audit log.
public struct AuditEntry: Sendable, Equatable {
    public var seq: Int64
    public var time: String
    public var actor: String
    public var action: String
    public var target: String
    public var details: [String: JSONValue]
    public var prev: Digest

    public init(seq: Int64, time: String, draft: AuditEntryDraft, prev: Digest) {
        self.seq = seq
        self.time = time
        self.actor = draft.actor
        self.action = draft.action
        self.target = draft.target
        self.details = draft.details
        self.prev = prev
    }

    /// The canonical line, without its newline.
    public var line: [UInt8] {
        CanonicalJSON.serialize(.object([
            "seq": .integer(seq),
            "time": .string(time),
            "actor": .string(actor),
            "action": .string(action),
            "target": .string(target),
            "details": .object(details),
            "prev": .string(prev.hex),
        ]))
    }

    /// Reads an entry line (as written, without its newline).
    public static func parse(_ line: [UInt8]) throws(JSONSyntaxError) -> AuditEntry {
        _ = try line.withUnsafeBufferPointer { buffer throws(JSONSyntaxError) in try AuditLine.parse(buffer) }
        let value = try CanonicalJSON.parse(line)
        guard value["seq"] != nil, case .object(let details)? = value["details"],
              let seq = value["seq"]?.integerValue, let time = value["time"]?.stringValue,
              let actor = value["actor"]?.stringValue, let action = value["action"]?.stringValue,
              let target = value["target"]?.stringValue, let prevHex = value["prev"]?.stringValue,
              let prev = Digest(hex: prevHex)
        else { throw JSONSyntaxError(offset: 0, reason: "not an entry line") }
        return AuditEntry(seq: seq, time: time, draft: AuditEntryDraft(actor: actor, action: action, target: target, details: details), prev: prev)
    }
}
