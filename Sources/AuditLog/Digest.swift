import CSIRTCrypto

/// A SHA-256 value held inline (no heap), so that a million of them cost 32 MB and compare fast.
public struct Digest: Hashable, Sendable, CustomStringConvertible {
    var a: UInt64 = 0, b: UInt64 = 0, c: UInt64 = 0, d: UInt64 = 0

    public static let zero = Digest()

    public init() {}

    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        bytes.withUnsafeBytes { raw in
            withUnsafeMutableBytes(of: &self) { $0.copyMemory(from: raw) }
        }
    }

    /// SHA-256 of `bytes`.
    public init(hashing bytes: UnsafeRawBufferPointer) {
        withUnsafeMutableBytes(of: &self) { out in
            SHA256.hash(bytes, into: out.baseAddress!)
        }
    }

    public init(hashing bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { Digest(hashing: $0) }
    }

    /// SHA-256 of `bytes` with a caller's reusable context (the verifier's hot path).
    init(hashing bytes: UnsafeRawBufferPointer, with context: SHA256Context) {
        withUnsafeMutableBytes(of: &self) { out in
            context.hash(bytes, into: out.baseAddress!)
        }
    }

    /// Parses 64 lowercase hex digits.
    init?(hex: UnsafeBufferPointer<UInt8>) {
        guard hex.count == 64, let base = hex.baseAddress else { return nil }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var invalid: UInt8 = 0
        withUnsafeMutableBytes(of: &words) { out in
            for i in 0..<32 {
                let high = base[2 * i], low = base[2 * i + 1]
                let (hv, hbad) = Self.nibbleValue(high), (lv, lbad) = Self.nibbleValue(low)
                invalid |= hbad | lbad
                out[i] = hv << 4 | lv
            }
        }
        guard invalid == 0 else { return nil }
        (a, b, c, d) = words
    }

    /// Branch-light nibble decoding: (value, 1 if not a lowercase hex digit).
    @inline(__always)
    private static func nibbleValue(_ c: UInt8) -> (UInt8, UInt8) {
        let digit = c &- 0x30, letter = c &- 0x61
        if digit < 10 { return (digit, 0) }
        if letter < 6 { return (letter &+ 10, 0) }
        return (0, 1)
    }

    public init?(hex: String) {
        var string = hex
        guard let parsed = string.withUTF8({ Digest(hex: $0) }) else { return nil }
        self = parsed
    }

    public var bytes: [UInt8] {
        withUnsafeBytes(of: self) { Array($0) }
    }

    public var hex: String {
        Hex.encode(bytes)
    }

    public var description: String { hex }
}
