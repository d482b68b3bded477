import COpenSSL

public enum RandomBytes {
    /// Cryptographically strong random bytes from OpenSSL's DRBG.
    public static func generate(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else {
            throw CryptoError.openSSL("could not get random bytes")
        }
        return bytes
    }
}
