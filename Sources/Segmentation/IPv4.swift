/// IPv4 addresses and blocks as ranges of 32-bit values.
public enum IPv4 {
    public static let all = ValueRange(0, 1 << 32)

    /// `a.b.c.d`
    public static func address(_ text: Substring) -> UInt64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt64 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }), let octet = UInt64(part), octet <= 255 else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    /// `a.b.c.d`, `a.b.c.d/len` or `a.b.c.d/m.m.m.m` (a contiguous mask), as a range. Host bits
    /// are ignored, as iptables does.
    public static func block(_ text: Substring) -> ValueRange? {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let base = address(parts[0]) else { return nil }
        var length = 32
        if parts.count == 2 {
            if let prefix = Int(parts[1]), parts[1].allSatisfy(\.isNumber), (0...32).contains(prefix) {
                length = prefix
            } else if let mask = address(parts[1]) {
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
