/// Parses a request body (RFC 8259 JSON, already checked to be UTF-8) into a `BodyValue`.
///
/// Written for the API's bodies instead of JSONDecoder, which found each member's type by trying
/// one after the other and throwing on every miss: about a sixth of the CPU a POST spends
/// outside the database. It is also stricter where a security tool should be: a member named twice is
/// an error (which of the two would count?), and so is nesting deeper than `maximumDepth`.
///
/// Not `PositionedJSON` (Segmentation's parser for uploaded rulesets), on purpose: that one
/// gives lines for findings in pretty-printed files, keeps every number as a Double and refuses
/// 1e400 outright. A body needs integers exact to 64 bits and told apart from 1.5, and an
/// out-of-range number kept as a value, so that the field that receives it is named in a 422.
struct JSONBodyParser {
    struct SyntaxError: Error, Equatable {
        /// 0-based byte offset in the body.
        let offset: Int
        let reason: String

        var description: String { "\(reason) at byte \(offset + 1)" }
    }

    static let maximumDepth = 64

    private let bytes: [UInt8]
    private var position = 0
    private var depth = 0

    static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> BodyValue {
        var parser = JSONBodyParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.value()
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.error("unexpected \(parser.found) after the value") }
        return value
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private var found: String {
        guard position < bytes.count else { return "end of the body" }
        let byte = bytes[position]
        return byte >= 0x21 && byte < 0x7f ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
    }

    private func error(_ reason: String, at offset: Int? = nil) -> SyntaxError {
        SyntaxError(offset: offset ?? position, reason: reason)
    }

    private mutating func skipWhitespace() {
        while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x0a || bytes[position] == 0x0d || bytes[position] == 0x09 {
            position += 1
        }
    }

    private mutating func value() throws(SyntaxError) -> BodyValue {
        guard position < bytes.count else { throw error("unexpected end of the body") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        case 0xef where position == 0 && bytes.starts(with: [0xef, 0xbb, 0xbf]): throw error("a byte-order mark is not allowed before JSON")
        default: throw error("unexpected \(found)")
        }
    }

    private mutating func literal(_ word: StaticString) throws(SyntaxError) {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count,
              word.withUTF8Buffer({ Array($0) }) == Array(bytes[position..<(position + count)]) else {
            throw error("unexpected \(found)")
        }
        position += count
    }

    private mutating func enter() throws(SyntaxError) {
        depth += 1
        guard depth <= Self.maximumDepth else { throw error("nested deeper than \(Self.maximumDepth) levels") }
    }

    private mutating func object() throws(SyntaxError) -> BodyValue {
        try enter()
        position += 1
        var members: [String: BodyValue] = [:]
        skipWhitespace()
        if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw error("expected a member name in quotes, found \(found)") }
            let start = position
            let name = try string()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw error("expected ':' after a member name, found \(found)") }
            position += 1
            skipWhitespace()
            let member = try value()
            guard members.updateValue(member, forKey: name) == nil else { throw error("the member \"\(name)\" appears twice", at: start) }
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of the body in an object") }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                depth -= 1
                return .object(members)
            default: throw error("expected ',' or '}' in an object, found \(found)")
            }
        }
    }

    private mutating func array() throws(SyntaxError) -> BodyValue {
        try enter()
        position += 1
        var items: [BodyValue] = []
        skipWhitespace()
        if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try value())
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of the body in an array") }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                depth -= 1
                return .array(items)
            default: throw error("expected ',' or ']' in an array, found \(found)")
            }
        }
    }

    /// A string from its opening quote; the bytes between escapes are copied as they are (the
    /// body was checked to be UTF-8 before).
    private mutating func string() throws(SyntaxError) -> String {
        let opening = position
        position += 1
        var out: [UInt8] = []
        var runStart = position
        while true {
            guard position < bytes.count else { throw error("a string is not closed", at: opening) }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                out.append(contentsOf: bytes[runStart..<position])
                position += 1
                return String(decoding: out, as: UTF8.self)
            }
            if byte < 0x20 { throw error("a control character (byte 0x\(String(byte, radix: 16))) must be escaped in a string") }
            if byte != UInt8(ascii: "\\") {
                position += 1
                continue
            }
            out.append(contentsOf: bytes[runStart..<position])
            try escape(into: &out)
            runStart = position
        }
    }

    private mutating func escape(into out: inout [UInt8]) throws(SyntaxError) {
        let start = position
        position += 1
        guard position < bytes.count else { throw error("a string is not closed", at: start) }
        let simple: UInt8?
        switch bytes[position] {
        case UInt8(ascii: "\""): simple = 0x22
        case UInt8(ascii: "\\"): simple = 0x5c
        case UInt8(ascii: "/"): simple = 0x2f
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0c
        case UInt8(ascii: "n"): simple = 0x0a
        case UInt8(ascii: "r"): simple = 0x0d
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"): simple = nil
        default: throw error("unknown escape \\\(Character(Unicode.Scalar(bytes[position])))", at: start)
        }
        if let simple {
            out.append(simple)
            position += 1
            return
        }
        position += 1
        var scalar = try hex4()
        if (0xd800...0xdbff).contains(scalar) {
            guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                throw error("\\u\(String(scalar, radix: 16)) is half of a surrogate pair", at: start)
            }
            position += 2
            let low = try hex4()
            guard (0xdc00...0xdfff).contains(low) else { throw error("\\u\(String(scalar, radix: 16)) is half of a surrogate pair", at: start) }
            scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
        } else if (0xdc00...0xdfff).contains(scalar) {
            throw error("\\u\(String(scalar, radix: 16)) is half of a surrogate pair", at: start)
        }
        out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
    }

    private mutating func hex4() throws(SyntaxError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("\\u needs four hex digits") }
        var value: UInt32 = 0
        for byte in bytes[position..<(position + 4)] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("\\u needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
        }
        position += 4
        return value
    }

    /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`: an integer when it has neither fraction nor
    /// exponent and fits in 64 bits, else a Double (infinite beyond its range: still a number,
    /// which no field accepts).
    private mutating func number() throws(SyntaxError) -> BodyValue {
        let start = position
        func digits() -> Int {
            let first = position
            while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") { position += 1 }
            return position - first
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        let integerStart = position
        let integerDigits = digits()
        guard integerDigits > 0 else { throw error("a number needs digits") }
        guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else { throw error("a number may not start with 0", at: integerStart) }
        var integral = true
        if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
            integral = false
            position += 1
            guard digits() > 0 else { throw error("a number needs digits after '.'") }
        }
        if position < bytes.count && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")) {
            integral = false
            position += 1
            if position < bytes.count && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")) { position += 1 }
            guard digits() > 0 else { throw error("a number needs digits in its exponent") }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if integral, let integer = Int64(text) { return .integer(integer) }
        // Swift reads 1e400 as infinity; should a platform not, it is still a number beyond range.
        return .number(Double(text) ?? (bytes[start] == UInt8(ascii: "-") ? -.infinity : .infinity))
    }
}
