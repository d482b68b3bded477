import COpenSSL

/// The SHA-256 implementation, fetched from OpenSSL's provider once. Passing `EVP_sha256()` to
/// every digest call makes OpenSSL 3 look the algorithm up again each time, under a lock — a
/// third of the cost of hashing a short line.
struct FetchedDigest: @unchecked Sendable {
    // EVP_MD objects are immutable and reference-counted; sharing one between threads is safe.
    let md: OpaquePointer

    static let sha256: FetchedDigest = {
        guard let md = EVP_MD_fetch(nil, "SHA256", nil) else { fatalError("OpenSSL has no SHA-256") }
        return FetchedDigest(md: md)
    }()
}

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
        let ok = EVP_Digest(bytes.baseAddress, bytes.count, out.assumingMemoryBound(to: UInt8.self), &size, FetchedDigest.sha256.md, nil)
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

/// A reusable SHA-256 context for hashing many short messages on one thread (not shareable).
public final class SHA256Context {
    private let context: OpaquePointer

    public init() {
        guard let context = EVP_MD_CTX_new() else { fatalError("OpenSSL could not allocate a digest context") }
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    /// Writes the 32-byte digest of `bytes` to `out`.
    public func hash(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawPointer) {
        var size: UInt32 = 0
        let ok = EVP_DigestInit_ex(context, FetchedDigest.sha256.md, nil) == 1
            && EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1
            && EVP_DigestFinal_ex(context, out.assumingMemoryBound(to: UInt8.self), &size) == 1
        precondition(ok && size == 32, "OpenSSL SHA-256 failed")
    }
}

/// Incremental SHA-256, for files read in pieces.
public final class SHA256Hasher {
    private let context: OpaquePointer

    public init() {
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, FetchedDigest.sha256.md, nil) == 1 else {
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
