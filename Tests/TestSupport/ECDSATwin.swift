/// The malleable twin of an ECDSA P-256 signature, made without the key: DER `SEQUENCE { r, s }`
/// becomes `SEQUENCE { r, n − s }`. Written here in plain Swift (not with csirt's own OpenSSL
/// code) so that tests of csirt's refusal do not lean on the code under test.
public enum ECDSATwin {
    static let order: [UInt8] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
    ]

    /// (r, s) as 32-byte big-endian numbers; nil for anything but a short-form DER pair.
    public static func decode(_ der: [UInt8]) -> (r: [UInt8], s: [UInt8])? {
        guard der.count >= 8, der[0] == 0x30, Int(der[1]) == der.count - 2 else { return nil }
        var index = 2
        func integer() -> [UInt8]? {
            guard index + 2 <= der.count, der[index] == 0x02 else { return nil }
            let length = Int(der[index + 1])
            guard length >= 1, index + 2 + length <= der.count else { return nil }
            var value = Array(der[(index + 2)..<(index + 2 + length)])
            index += 2 + length
            while value.count > 1 && value[0] == 0 { value.removeFirst() }
            guard value.count <= 32 else { return nil }
            return [UInt8](repeating: 0, count: 32 - value.count) + value
        }
        guard let r = integer(), let s = integer(), index == der.count else { return nil }
        return (r, s)
    }

    public static func encode(r: [UInt8], s: [UInt8]) -> [UInt8] {
        func integer(_ value: [UInt8]) -> [UInt8] {
            var bytes = Array(value.drop { $0 == 0 })
            if bytes.isEmpty { bytes = [0] }
            if bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
            return [0x02, UInt8(bytes.count)] + bytes
        }
        let body = integer(r) + integer(s)
        return [0x30, UInt8(body.count)] + body
    }

    /// n − s, big-endian, 32 bytes.
    static func negate(_ s: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for i in stride(from: 31, through: 0, by: -1) {
            var digit = Int(order[i]) - Int(s[i]) - borrow
            borrow = digit < 0 ? 1 : 0
            if digit < 0 { digit += 256 }
            out[i] = UInt8(digit)
        }
        return out
    }

    /// True when s > n/2.
    public static func isHighS(_ der: [UInt8]) -> Bool {
        guard let (_, s) = decode(der) else { return false }
        let minus = negate(s)
        return s.lexicographicallyPrecedes(minus) == false && s != minus
    }

    /// The other valid signature with the same r.
    public static func twin(_ der: [UInt8]) -> [UInt8]? {
        guard let (r, s) = decode(der) else { return nil }
        return encode(r: r, s: negate(s))
    }
}
