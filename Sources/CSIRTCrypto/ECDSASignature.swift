import COpenSSL

/// ECDSA P-256 signatures in one form only: DER `SEQUENCE { r, s }` with `s ≤ n/2` (low-S).
///
/// ECDSA is malleable: if `(r, s)` is valid, so is `(r, n − s)`. OpenSSL accepts both, so without
/// a rule anyone could replace a checkpoint's signature by its twin without the key — the line's
/// bytes (and so its hash) change while the signature still verifies, and a verifier and the
/// writer (which compares bytes) would disagree. csirt writes the low-S twin and, where it asks
/// for strictness (every audit-log checkpoint, `verify-file --strict`), refuses the other.
/// OpenSSL already refuses DER that is not the one canonical encoding.
public enum ECDSASignature {
    /// The order n of the P-256 group, and ⌊n/2⌋.
    static let orderHex = "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"
    static let halfOrderHex = "7FFFFFFF800000007FFFFFFFFFFFFFFFDE737D56D38BCF4279DCE5617E3192A8"

    public enum Form: Equatable, Sendable {
        case lowS
        case highS
        /// Not a DER `SEQUENCE { INTEGER r, INTEGER s }` in its one canonical encoding.
        case malformed
    }

    /// What form `der` is in.
    public static func form(of der: [UInt8]) -> Form {
        guard let signature = decode(der) else { return .malformed }
        defer { ECDSA_SIG_free(signature) }
        var r: OpaquePointer?, s: OpaquePointer?
        ECDSA_SIG_get0(signature, &r, &s)
        guard let s, let half = bignum(halfOrderHex) else { return .malformed }
        defer { BN_free(half) }
        return BN_cmp(s, half) > 0 ? .highS : .lowS
    }

    /// The low-S twin of `der` (the signature itself when it is low-S already).
    public static func lowS(_ der: [UInt8]) throws -> [UInt8] {
        guard let signature = decode(der) else { throw CryptoError("OpenSSL returned an ECDSA signature that is not canonical DER") }
        defer { ECDSA_SIG_free(signature) }
        var r: OpaquePointer?, s: OpaquePointer?
        ECDSA_SIG_get0(signature, &r, &s)
        guard let r, let s, let half = bignum(halfOrderHex), let order = bignum(orderHex) else {
            throw CryptoError("could not read an ECDSA signature")
        }
        defer { BN_free(half); BN_free(order) }
        guard BN_cmp(s, half) > 0 else { return der }
        // ECDSA_SIG_set0 takes ownership of both numbers; r is copied because the old one goes with `signature`.
        guard let flipped = BN_new(), BN_sub(flipped, order, s) == 1 else { throw CryptoError.openSSL("could not compute n − s") }
        guard let rCopy = BN_dup(r), let twin = ECDSA_SIG_new() else {
            BN_free(flipped)
            throw CryptoError.openSSL("could not build the low-S signature")
        }
        defer { ECDSA_SIG_free(twin) }
        guard ECDSA_SIG_set0(twin, rCopy, flipped) == 1 else {
            BN_free(rCopy); BN_free(flipped)
            throw CryptoError.openSSL("could not build the low-S signature")
        }
        return try encode(twin)
    }

    /// Decodes DER and insists that it is the canonical encoding (re-encoding gives the same bytes).
    private static func decode(_ der: [UInt8]) -> OpaquePointer? {
        guard !der.isEmpty, der.count <= 256 else { return nil }
        let decoded: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, buffer.count)
        }
        OpenSSLErrorQueue.clear()
        guard let decoded else { return nil }
        guard let again = try? encode(decoded), again == der else {
            ECDSA_SIG_free(decoded)
            return nil
        }
        return decoded
    }

    private static func encode(_ signature: OpaquePointer) throws -> [UInt8] {
        let length = i2d_ECDSA_SIG(signature, nil)
        guard length > 0 else { throw CryptoError.openSSL("could not encode an ECDSA signature") }
        var out = [UInt8](repeating: 0, count: Int(length))
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_ECDSA_SIG(signature, &cursor)
        }
        guard written == length else { throw CryptoError.openSSL("could not encode an ECDSA signature") }
        return out
    }

    private static func bignum(_ hex: String) -> OpaquePointer? {
        var number: OpaquePointer? = nil
        guard BN_hex2bn(&number, hex) > 0 else { return nil }
        return number
    }
}
