/// IPv4 addresses and blocks as ranges of 32-bit values.
public enum IPv4 {
    public static let all = ValueRange(0, 1 << 32)

    /// `a.b.c.d` — read over bytes: rulesets hold hundreds of thousands of addresses.
    public static func address(_ text: Substring) -> UInt64? {
        var value: UInt64 = 0, octet: UInt64 = 0, digits = 0, dots = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, dots < 3 else { return nil }
                value = value << 8 | octet
                octet = 0
                digits = 0
                dots += 1
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                octet = octet * 10 + UInt64(byte - UInt8(ascii: "0"))
                digits += 1
                guard digits <= 3, octet <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard dots == 3, digits > 0 else { return nil }
        return value << 8 | octet
    }

    /// `a.b.c.d`, `a.b.c.d/len` or `a.b.c.d/m.m.m.m` (a contiguous mask), as a range. Host bits
    /// are ignored, as iptables does.
    public static func block(_ text: Substring) -> ValueRange? {
        let slash = text.utf8.firstIndex(of: UInt8(ascii: "/"))
        guard let base = address(slash.map { text[..<$0] } ?? text) else { return nil }
        var length = 32
        if let slash {
            let suffix = text[text.index(after: slash)...]
            if let prefix = Int(suffix), suffix.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), (0...32).contains(prefix) {
                length = prefix
            } else if let mask = address(suffix) {
                // A netmask must be contiguous ones: its inverse is 2^k − 1.
                let inverse = ~mask & 0xffff_ffff
                guard inverse & (inverse + 1) == 0 else { return nil }
                length = 32 - inverse.nonzeroBitCount
            } else {
                return nil
            }
        }
        let size: UInt64 = 1 << UInt64(32 - length)
        let start = base & ~(size - 1) & 0xffff_ffff
        return ValueRange(start, start + size)
    }

    /// `a.b.c.d-e.f.g.h` (iprange, inclusive).
    public static func range(_ text: Substring) -> ValueRange? {
        let parts = text.split(separator: "-", maxSplits: 1)
        guard parts.count == 2, let low = address(parts[0]), let high = address(parts[1]), low <= high else { return nil }
        return ValueRange(low, high + 1)
    }

    public static func format(_ value: UInt64) -> String {
        "\(value >> 24 & 255).\(value >> 16 & 255).\(value >> 8 & 255).\(value & 255)"
    }
}
