import COpenSSL

/// SHA-256 through OpenSSL's EVP interface.
public enum SHA256 {
    public static let byteCount = 32

    /// Digest of a buffer, written into `out` (32 bytes). The hot path of log verification:
    /// no allocation per call.
    @inlinable
    public static func hash(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawPointer) {
        _hash(bytes, into: out)
    }

    @usableFromInline
    static func _hash(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawPointer) {
        var size: UInt32 = 0
        // EVP_Digest only fails on allocation failure or a broken provider; both are fatal here.
        let ok = EVP_Digest(bytes.baseAddress, bytes.count, out.assumingMemoryBound(to: UInt8.self), &size, EVP_sha256(), nil)
        precondition(ok == 1 && size == 32, "OpenSSL SHA-256 failed")
    }

    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { hash(input, into: $0.baseAddress!) }
        }
        return out
    }

    public static func hash(_ string: String) -> [UInt8] {
        hash(Array(string.utf8))
    }
}

/// Incremental SHA-256, for files read in pieces.
public final class SHA256Hasher {
    private let context: OpaquePointer

    public init() {
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            fatalError("OpenSSL could not start a SHA-256 digest")
        }
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1, "OpenSSL SHA-256 update failed")
    }

    public func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var size: UInt32 = 0
        precondition(EVP_DigestFinal_ex(context, &out, &size) == 1 && size == 32, "OpenSSL SHA-256 final failed")
        return out
    }
}
