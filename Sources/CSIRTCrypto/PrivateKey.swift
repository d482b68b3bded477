import COpenSSL

/// A private signing key loaded or generated through OpenSSL. Immutable after creation; signing
/// makes a fresh context per call, so sharing between threads is safe (`@unchecked Sendable`).
public final class PrivateKey: @unchecked Sendable {
    let pkey: OpaquePointer
    public let algorithm: KeyAlgorithm
    public let publicKey: PublicKey

    init(owning pkey: OpaquePointer, algorithm: KeyAlgorithm) throws {
        self.pkey = pkey
        self.algorithm = algorithm
        // The public half shares the EVP_PKEY with one more reference, so each object frees exactly
        // the reference it holds.
        guard EVP_PKEY_up_ref(pkey) == 1 else {
            EVP_PKEY_free(pkey)
            throw CryptoError.openSSL("could not reference the key")
        }
        do {
            publicKey = try PublicKey(owning: pkey, algorithm: algorithm)
        } catch {
            EVP_PKEY_free(pkey)
            throw error
        }
    }

    deinit {
        EVP_PKEY_free(pkey)
    }

    /// Loads an unencrypted PEM private key: PKCS#8 (`openssl genpkey`) or the traditional
    /// RSA/EC forms (`openssl genrsa -traditional`, `openssl ecparam -genkey`). Never prompts.
    public convenience init(pem bytes: [UInt8], source: String) throws {
        let (pkey, algorithm) = try PEMInput.load(bytes, source: source, wantPrivate: true)
        try self.init(owning: pkey, algorithm: algorithm)
    }

    /// A new Ed25519 key from OpenSSL's default random source.
    public static func generateEd25519() throws -> PrivateKey {
        OpenSSLErrorQueue.clear()
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else {
            throw CryptoError.openSSL("could not create an Ed25519 key context")
        }
        defer { EVP_PKEY_CTX_free(context) }
        var pkey: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_keygen(context, &pkey) == 1, let pkey else {
            throw CryptoError.openSSL("could not generate an Ed25519 key")
        }
        return try PrivateKey(owning: pkey, algorithm: .ed25519)
    }

    /// Unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    public var pkcs8PEM: String {
        let bio = BIO_new(BIO_s_mem())!
        defer { BIO_free(bio) }
        precondition(PEM_write_bio_PKCS8PrivateKey(bio, pkey, nil, nil, 0, nil, nil) == 1, "OpenSSL could not write a private key")
        return String(decoding: PEMInput.contents(of: bio), as: UTF8.self)
    }

    /// Signs `message`: pure Ed25519, or SHA-256 with ECDSA (DER signature) / RSA PKCS#1 v1.5.
    /// The same bytes `openssl pkeyutl -sign -rawin` (Ed25519) or `openssl dgst -sha256 -sign` make,
    /// except that an ECDSA signature is always the low-S one of its two twins (`ECDSASignature`).
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        let signature = try signOpenSSL(message)
        return algorithm == .ecdsaP256SHA256 ? try ECDSASignature.lowS(signature) : signature
    }

    private func signOpenSSL(_ message: [UInt8]) throws -> [UInt8] {
        OpenSSLErrorQueue.clear()
        guard let context = EVP_MD_CTX_new() else { throw CryptoError.openSSL("could not create a signing context") }
        defer { EVP_MD_CTX_free(context) }
        let digest = algorithm == .ed25519 ? nil : FetchedDigest.sha256.md
        guard EVP_DigestSignInit(context, nil, digest, nil, pkey) == 1 else {
            throw CryptoError.openSSL("could not start signing")
        }
        return try message.withUnsafeBufferPointer { input in
            var empty: UInt8 = 0
            return try withUnsafePointer(to: &empty) { emptyPointer in
                let base = input.baseAddress ?? emptyPointer
                var length = 0
                guard EVP_DigestSign(context, nil, &length, base, input.count) == 1 else {
                    throw CryptoError.openSSL("could not size the signature")
                }
                var signature = [UInt8](repeating: 0, count: length)
                guard EVP_DigestSign(context, &signature, &length, base, input.count) == 1 else {
                    throw CryptoError.openSSL("signing failed")
                }
                return Array(signature.prefix(length))
            }
        }
    }
}
