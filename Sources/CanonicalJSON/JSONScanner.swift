import Foundation

/// Why a line is not canonical JSON; `offset` is a 0-based byte offset within the line.
public struct JSONSyntaxError: Error, Sendable, Equatable {
    public let offset: Int
    public let reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }
}

/// A strict scanner over canonical JSON bytes (see `CanonicalJSON`). It validates everything —
/// UTF-8, escapes, key order, integer syntax, nesting depth — and materializes values only when
/// asked, so that verifying a million lines allocates nothing per line.
package struct JSONScanner {
    package let bytes: UnsafeBufferPointer<UInt8>
    package var position = 0
    package var depth = 0
    package static let maximumDepth = 64

    @inlinable
    package init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    @inlinable
    package func fail(_ reason: String, at offset: Int? = nil) -> JSONSyntaxError {
        JSONSyntaxError(offset: offset ?? position, reason: reason)
    }

    @inline(__always)
    @inlinable
    package var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    @inlinable
    package mutating func expect(_ byte: UInt8, _ what: String) throws(JSONSyntaxError) {
        guard position < bytes.count, bytes[position] == byte else {
            throw fail(position < bytes.count ? "expected \(what)" : "line ends where \(what) was expected")
        }
        position += 1
    }

    /// Scans one value. Returns it when `materialize`, else nil.
    @inlinable
    package mutating func value(materialize: Bool) throws(JSONSyntaxError) -> JSONValue? {
        guard let byte = current else { throw fail("line ends where a value was expected") }
        switch byte {
        case UInt8(ascii: "\""):
            let span = try string()
            return materialize ? .string(decode(span)) : nil
        case UInt8(ascii: "{"):
            return try object(materialize: materialize)
        case UInt8(ascii: "["):
            return try array(materialize: materialize)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let number = try integer()
            return materialize ? .integer(number) : nil
        case UInt8(ascii: "t"):
            try literal("true")
            return materialize ? .bool(true) : nil
        case UInt8(ascii: "f"):
            try literal("false")
            return materialize ? .bool(false) : nil
        case UInt8(ascii: "n"):
            try literal("null")
            return materialize ? .null : nil
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
            throw fail("whitespace is not allowed in canonical JSON")
        default:
            throw fail("unexpected character where a value was expected")
        }
    }

    @inlinable
    package mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw fail("truncated literal") }
        for i in 0..<count where bytes[position + i] != word.utf8Start[i] {
            throw fail("invalid literal")
        }
        position += count
    }

    @inlinable
    package mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > Self.maximumDepth { throw fail("nesting deeper than \(Self.maximumDepth) levels") }
    }

    @inlinable
    package mutating func object(materialize: Bool) throws(JSONSyntaxError) -> JSONValue? {
        try enter()
        defer { depth -= 1 }
        try expect(UInt8(ascii: "{"), "{")
        var members: [String: JSONValue] = [:]
        if current == UInt8(ascii: "}") {
            position += 1
            return materialize ? .object(members) : nil
        }
        var previousKey: Range<Int>? = nil
        while true {
            guard current == UInt8(ascii: "\"") else { throw fail("expected a quoted key") }
            let keyStart = position
            let key = try string()
            if let previousKey, !keyIsGreater(key, than: previousKey) {
                throw fail("object keys are not in canonical (sorted, unique) order", at: keyStart)
            }
            previousKey = key
            try expect(UInt8(ascii: ":"), ":")
            let member = try value(materialize: materialize)
            if materialize { members[decode(key)] = member }
            guard let next = current else { throw fail("line ends inside an object") }
            position += 1
            if next == UInt8(ascii: "}") { break }
            guard next == UInt8(ascii: ",") else { throw fail("expected , or }", at: position - 1) }
        }
        return materialize ? .object(members) : nil
    }

    @inlinable
    package mutating func array(materialize: Bool) throws(JSONSyntaxError) -> JSONValue? {
        try enter()
        defer { depth -= 1 }
        try expect(UInt8(ascii: "["), "[")
        var elements: [JSONValue] = []
        if current == UInt8(ascii: "]") {
            position += 1
            return materialize ? .array(elements) : nil
        }
        while true {
            let element = try value(materialize: materialize)
            if materialize { elements.append(element!) }
            guard let next = current else { throw fail("line ends inside an array") }
            position += 1
            if next == UInt8(ascii: "]") { break }
            guard next == UInt8(ascii: ",") else { throw fail("expected , or ]", at: position - 1) }
        }
        return materialize ? .array(elements) : nil
    }

    /// `-?(0|[1-9][0-9]*)` that fits in Int64; `-0` is not canonical.
    @inlinable
    package mutating func integer() throws(JSONSyntaxError) -> Int64 {
        let start = position
        var negative = false
        if current == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        guard let first = current, first >= 0x30, first <= 0x39 else { throw fail("invalid number", at: start) }
        var magnitude: UInt64 = 0
        if first == 0x30 {
            position += 1
            if negative { throw fail("-0 is not canonical", at: start) }
        } else {
            while let digit = current, digit >= 0x30, digit <= 0x39 {
                let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit - 0x30))
                if overflow1 || overflow2 || sum > UInt64(Int64.max) + (negative ? 1 : 0) {
                    throw fail("integer out of range", at: start)
                }
                magnitude = sum
                position += 1
            }
        }
        if let next = current, next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") || (next >= 0x30 && next <= 0x39) {
            throw fail("only integers are allowed (no fractions, exponents or leading zeros)", at: start)
        }
        if negative { return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude) }
        return Int64(magnitude)
    }

    /// Scans a string; returns the span between the quotes (raw, with escapes).
    @inlinable
    package mutating func string() throws(JSONSyntaxError) -> Range<Int> {
        try expect(UInt8(ascii: "\""), "\"")
        let start = position
        let count = bytes.count
        let base = UnsafeRawPointer(bytes.baseAddress!)
        while position < count {
            // Skip 8 plain bytes at a time: none is '"', '\\', a control character or non-ASCII.
            while position + 8 <= count {
                let word = base.loadUnaligned(fromByteOffset: position, as: UInt64.self)
                if Self.needsAttention(word) { break }
                position += 8
            }
            guard position < count else { break }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return start..<(position - 1)
            } else if byte == UInt8(ascii: "\\") {
                try escape()
            } else if byte < 0x20 {
                throw fail("raw control character in a string")
            } else if byte < 0x80 {
                position += 1
            } else {
                try multibyte()
            }
        }
        throw fail("line ends inside a string")
    }

    /// True if any byte of `word` is '"', '\\', below 0x20 or above 0x7f (SWAR, no branches per byte).
    @inline(__always)
    @inlinable
    package static func needsAttention(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & highs }
        let control = (word &- 0x2020_2020_2020_2020) & ~word & highs
        let quote = hasZeroByte(word ^ 0x2222_2222_2222_2222)
        let backslash = hasZeroByte(word ^ 0x5c5c_5c5c_5c5c_5c5c)
        return (word & highs) | control | quote | backslash != 0
    }

    @inlinable
    package mutating func escape() throws(JSONSyntaxError) {
        guard position + 1 < bytes.count else { throw fail("line ends inside an escape") }
        switch bytes[position + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            position += 2
        case UInt8(ascii: "u"):
            // Only control characters without a short form are written as \u00xx.
            guard position + 5 < bytes.count, bytes[position + 2] == 0x30, bytes[position + 3] == 0x30,
                  let high = Self.hexValue(bytes[position + 4]), let low = Self.hexValue(bytes[position + 5])
            else { throw fail("non-canonical \\u escape") }
            let scalar = high << 4 | low
            guard high <= 1, ![0x08, 0x09, 0x0a, 0x0c, 0x0d].contains(scalar) else { throw fail("non-canonical \\u escape") }
            position += 6
        default:
            throw fail("non-canonical escape")
        }
    }

    @inlinable
    package static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x57
        default: return nil
        }
    }

    /// Validates one UTF-8 multibyte sequence (no overlong forms, no surrogates, ≤ U+10FFFF).
    @inlinable
    package mutating func multibyte() throws(JSONSyntaxError) {
        let lead = bytes[position]
        let length: Int
        var lowerSecond: UInt8 = 0x80, upperSecond: UInt8 = 0xbf
        switch lead {
        case 0xc2...0xdf: length = 2
        case 0xe0: length = 3; lowerSecond = 0xa0
        case 0xe1...0xec, 0xee...0xef: length = 3
        case 0xed: length = 3; upperSecond = 0x9f
        case 0xf0: length = 4; lowerSecond = 0x90
        case 0xf1...0xf3: length = 4
        case 0xf4: length = 4; upperSecond = 0x8f
        default: throw fail("invalid UTF-8")
        }
        guard position + length <= bytes.count else { throw fail("invalid UTF-8 (truncated sequence)") }
        let second = bytes[position + 1]
        guard second >= lowerSecond, second <= upperSecond else { throw fail("invalid UTF-8") }
        for i in 2..<length where bytes[position + i] & 0xc0 != 0x80 {
            throw fail("invalid UTF-8")
        }
        position += length
    }

    /// Keys compare by their decoded UTF-8 bytes; raw spans suffice when neither has escapes.
    @inlinable
    package func keyIsGreater(_ key: Range<Int>, than previous: Range<Int>) -> Bool {
        if !hasEscape(key) && !hasEscape(previous) {
            let a = UnsafeBufferPointer(rebasing: bytes[previous]), b = UnsafeBufferPointer(rebasing: bytes[key])
            let common = min(a.count, b.count)
            let order = common == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, common)
            return order < 0 || (order == 0 && a.count < b.count)
        }
        return decodedBytes(previous).lexicographicallyPrecedes(decodedBytes(key))
    }

    @inlinable
    package func hasEscape(_ span: Range<Int>) -> Bool {
        span.isEmpty ? false : memchr(bytes.baseAddress! + span.lowerBound, 0x5c, span.count) != nil
    }

    @inlinable
    package func decodedBytes(_ span: Range<Int>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(span.count)
        var i = span.lowerBound
        while i < span.upperBound {
            let byte = bytes[i]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                i += 1
                continue
            }
            switch bytes[i + 1] {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0c)
            case UInt8(ascii: "n"): out.append(0x0a)
            case UInt8(ascii: "r"): out.append(0x0d)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                out.append(Self.hexValue(bytes[i + 4])! << 4 | Self.hexValue(bytes[i + 5])!)
                i += 6
                continue
            default: out.append(bytes[i + 1])
            }
            i += 2
        }
        return out
    }

    @inlinable
    package func decode(_ span: Range<Int>) -> String {
        String(decoding: decodedBytes(span), as: UTF8.self)
    }

    /// True when the raw span equals `literal` byte for byte.
    @inlinable
    package func span(_ span: Range<Int>, equals literal: StaticString) -> Bool {
        guard span.count == literal.utf8CodeUnitCount else { return false }
        for i in 0..<span.count where bytes[span.lowerBound + i] != literal.utf8Start[i] {
            return false
        }
        return true
    }
}
