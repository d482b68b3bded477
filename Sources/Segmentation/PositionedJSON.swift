/// A JSON value and the line it starts on. Foundation's JSONSerialization forgets positions, and
/// people pretty-print machine output (`nft -j list ruleset | jq .`) before they read it, so a
/// finding that names a line is worth a small parser of our own.
struct PositionedJSON: Sendable {
    enum Value: Sendable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([PositionedJSON])
        /// Members in document order (the order matters to nothing here, but error messages read better).
        case object([Member])
    }

    struct Member: Sendable {
        var key: String
        var value: PositionedJSON
    }

    var value: Value
    /// 1-based line of the value's first character.
    var line: Int

    subscript(key: String) -> PositionedJSON? {
        guard case .object(let members) = value else { return nil }
        return members.first { $0.key == key }?.value
    }

    var string: String? {
        if case .string(let text) = value { return text }
        return nil
    }

    var number: Double? {
        if case .number(let number) = value { return number }
        return nil
    }

    var isNull: Bool {
        if case .null = value { return true }
        return false
    }

    /// The number, when it is a whole number that fits an Int64.
    var integer: Int64? {
        guard let number, number.rounded() == number, abs(number) < 9.2e18 else { return nil }
        return Int64(number)
    }

    var elements: [PositionedJSON]? {
        if case .array(let elements) = value { return elements }
        return nil
    }

    var members: [Member]? {
        if case .object(let members) = value { return members }
        return nil
    }

    /// Parses one JSON text (RFC 8259, strictly: no comments, no trailing commas, no duplicate keys).
    static func parse(_ text: String) throws(JSONSyntaxError) -> PositionedJSON {
        var text = text
        // `withUTF8` rethrows untyped errors: carry the typed one out in a Result.
        let result = text.withUTF8 { bytes -> Result<PositionedJSON, JSONSyntaxError> in
            var parser = JSONByteParser(bytes: bytes)
            do throws(JSONSyntaxError) {
                return .success(try parser.document())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// Where and why a text is not JSON.
struct JSONSyntaxError: Error, Sendable, Equatable {
    var line: Int
    /// 1-based, counted in bytes: exact for ASCII, which JSON's punctuation is.
    var column: Int
    var message: String
}

/// A recursive-descent parser over UTF-8 bytes that counts lines as it skips whitespace (the only
/// place a newline may appear outside a string).
private struct JSONByteParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var line = 1
    var lineStart = 0
    var depth = 0
    /// Deep enough for any real document, shallow enough that recursion cannot exhaust a thread's stack.
    static let maximumDepth = 256

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func document() throws(JSONSyntaxError) -> PositionedJSON {
        // A byte order mark is allowed to be ignored (RFC 8259 §8.1); editors on Windows add one.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3; lineStart = 3 }
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw error("expected the end of the document after the top-level value, found \(found())") }
        return value
    }

    func error(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(line: line, column: index - lineStart + 1, message: message)
    }

    /// What stands at the current position, for messages.
    func found() -> String {
        guard index < bytes.count else { return "the end of the text" }
        let byte = bytes[index]
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return byte == 0x20 ? "a space" : "byte 0x\(String(byte, radix: 16))"
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                index += 1
            case UInt8(ascii: "\n"):
                index += 1
                line += 1
                lineStart = index
            default:
                return
            }
        }
    }

    mutating func parseValue() throws(JSONSyntaxError) -> PositionedJSON {
        guard index < bytes.count else { throw error("expected a value, found the end of the text") }
        let startLine = line
        switch bytes[index] {
        case UInt8(ascii: "{"): return PositionedJSON(value: try parseObject(), line: startLine)
        case UInt8(ascii: "["): return PositionedJSON(value: try parseArray(), line: startLine)
        case UInt8(ascii: "\""): return PositionedJSON(value: .string(try parseString()), line: startLine)
        case UInt8(ascii: "t"): try literal("true"); return PositionedJSON(value: .bool(true), line: startLine)
        case UInt8(ascii: "f"): try literal("false"); return PositionedJSON(value: .bool(false), line: startLine)
        case UInt8(ascii: "n"): try literal("null"); return PositionedJSON(value: .null, line: startLine)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return PositionedJSON(value: .number(try parseNumber()), line: startLine)
        default: throw error("expected a value, found \(found())")
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        let matches = index + count <= bytes.count && (0..<count).allSatisfy { bytes[index + $0] == word.utf8Start[$0] }
        guard matches else { throw error("expected a value, found \(found())") }
        index += count
    }

    mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        guard depth <= Self.maximumDepth else { throw error("nested more than \(Self.maximumDepth) levels deep") }
    }

    mutating func parseArray() throws(JSONSyntaxError) -> PositionedJSON.Value {
        try enter()
        defer { depth -= 1 }
        index += 1
        var elements: [PositionedJSON] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw error("expected ',' or ']' after an array element, found the end of the text") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
            throw error("expected ',' or ']' after an array element, found \(found())")
        }
    }

    mutating func parseObject() throws(JSONSyntaxError) -> PositionedJSON.Value {
        try enter()
        defer { depth -= 1 }
        index += 1
        var members: [PositionedJSON.Member] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a \"quoted\" key, found \(found())") }
            let keyLine = line, keyColumn = index - lineStart + 1
            let key = try parseString()
            // Objects here have a handful of keys: a linear scan beats hashing.
            if members.contains(where: { $0.key == key }) {
                throw JSONSyntaxError(line: keyLine, column: keyColumn, message: "duplicate key \"\(key)\" in one object")
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after the key \"\(key)\", found \(found())") }
            index += 1
            skipWhitespace()
            members.append(PositionedJSON.Member(key: key, value: try parseValue()))
            skipWhitespace()
            guard index < bytes.count else { throw error("expected ',' or '}' after the value of \"\(key)\", found the end of the text") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            throw error("expected ',' or '}' after the value of \"\(key)\", found \(found())")
        }
    }

    mutating func parseString() throws(JSONSyntaxError) -> String {
        index += 1
        let start = index
        // Fast path: no escapes, the bytes are the string (the input is a Swift String, so valid UTF-8).
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw error("a control character (byte 0x\(String(byte, radix: 16))) must be escaped inside a string") }
            index += 1
        }
        var buffer = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: buffer, as: UTF8.self)
            }
            guard byte >= 0x20 else { throw error("a control character (byte 0x\(String(byte, radix: 16))) must be escaped inside a string") }
            guard byte == UInt8(ascii: "\\") else {
                buffer.append(byte)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { break }
            switch bytes[index] {
            case UInt8(ascii: "\""): buffer.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): buffer.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): buffer.append(0x08)
            case UInt8(ascii: "f"): buffer.append(0x0C)
            case UInt8(ascii: "n"): buffer.append(0x0A)
            case UInt8(ascii: "r"): buffer.append(0x0D)
            case UInt8(ascii: "t"): buffer.append(0x09)
            case UInt8(ascii: "u"):
                index += 1
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    // A high surrogate must be followed by an escaped low one.
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw error("a \\u high surrogate must be followed by a \\u low surrogate")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw error("a \\u high surrogate must be followed by a \\u low surrogate") }
                    scalar = 0x10000 + (scalar - 0xD800) << 10 + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw error("a \\u low surrogate without a high one")
                }
                buffer.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
                continue
            default:
                throw error("invalid escape \\\(found().trimmingQuotes) inside a string")
            }
            index += 1
        }
        throw error("unterminated string (no closing '\"')")
    }

    /// Four hex digits after `\u`.
    mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count else { throw error("expected four hex digits after \\u, found the end of the text") }
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("expected four hex digits after \\u, found \(found())")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    mutating func parseNumber() throws(JSONSyntaxError) -> Double {
        let start = index
        func isDigit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9") }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard isDigit(index) else { throw error("expected a digit in a number, found \(found())") }
        // Whole numbers (all nft prints) are accumulated directly; anything else goes through Double's parser.
        var whole: UInt64 = 0
        var exact = true
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if isDigit(index) { throw error("a number must not start with 0 (leading zeros are not JSON)") }
        } else {
            while isDigit(index) {
                let (product, overflow1) = whole.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = product.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
                if overflow1 || overflow2 { exact = false }
                whole = sum
                index += 1
            }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            exact = false
            index += 1
            guard isDigit(index) else { throw error("expected a digit after the decimal point, found \(found())") }
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            exact = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard isDigit(index) else { throw error("expected a digit in the exponent, found \(found())") }
            while isDigit(index) { index += 1 }
        }
        if exact && whole < 1 << 53 {
            let value = Double(whole)
            return bytes[start] == UInt8(ascii: "-") ? -value : value
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw error("number \(text) is out of range") }
        return value
    }
}

private extension String {
    /// `'x'` → `x`, for quoting a found character inside another phrase.
    var trimmingQuotes: String { hasPrefix("'") && hasSuffix("'") && count >= 3 ? String(dropFirst().dropLast()) : self }
}
