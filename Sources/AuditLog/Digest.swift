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

    /// Parses 64 lowercase hex digits.
    init?(hex: UnsafeBufferPointer<UInt8>) {
        guard hex.count == 64 else { return nil }
        var result = Digest()
        let ok = withUnsafeMutableBytes(of: &result) { out -> Bool in
            for i in 0..<32 {
                guard let high = Self.nibble(hex[2 * i]), let low = Self.nibble(hex[2 * i + 1]) else { return false }
                out[i] = high << 4 | low
            }
            return true
        }
        guard ok else { return nil }
        self = result
    }

    public init?(hex: String) {
        var string = hex
        guard let parsed = string.withUTF8({ Digest(hex: $0) }) else { return nil }
        self = parsed
    }

    @inline(__always)
    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x57
        default: return nil
        }
    }

    public var bytes: [UInt8] {
        withUnsafeBytes(of: self) { Array($0) }
    }

    public var hex: String {
        Hex.encode(bytes)
    }

    public var description: String { hex }
}
