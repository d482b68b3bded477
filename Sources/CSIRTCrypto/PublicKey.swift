import COpenSSL

/// A public key loaded through OpenSSL. Immutable after loading; `EVP_PKEY` may be shared
/// read-only between threads (contexts are created per operation), hence `@unchecked Sendable`.
public final class PublicKey: @unchecked Sendable {
    let pkey: OpaquePointer
    public let algorithm: KeyAlgorithm
    /// DER SubjectPublicKeyInfo, the bytes the key id is computed over.
    public let subjectPublicKeyInfo: [UInt8]
    /// Hex SHA-256 of the DER SubjectPublicKeyInfo: `openssl pkey -pubin -in PUB -outform DER | sha256sum`.
    public let keyID: String

    /// Takes ownership of `pkey` (one reference).
    init(owning pkey: OpaquePointer, algorithm: KeyAlgorithm) throws {
        self.pkey = pkey
        self.algorithm = algorithm
        var der: UnsafeMutablePointer<UInt8>?
        let length = i2d_PUBKEY(pkey, &der)
        guard length > 0, let der else {
            EVP_PKEY_free(pkey)
            throw CryptoError.openSSL("could not encode the public key")
        }
        subjectPublicKeyInfo = Array(UnsafeBufferPointer(start: der, count: Int(length)))
        csirt_OPENSSL_free(der)
        keyID = Hex.encode(SHA256.hash(subjectPublicKeyInfo))
    }

    deinit {
        EVP_PKEY_free(pkey)
    }

    /// Loads a PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`). `source` names the file in errors.
    public convenience init(pem bytes: [UInt8], source: String) throws {
        let (pkey, algorithm) = try PEMInput.load(bytes, source: source, wantPrivate: false)
        try self.init(owning: pkey, algorithm: algorithm)
    }

    /// PEM SubjectPublicKeyInfo.
    public var pem: String {
        let bio = BIO_new(BIO_s_mem())!
        defer { BIO_free(bio) }
        precondition(PEM_write_bio_PUBKEY(bio, pkey) == 1, "OpenSSL could not write a public key")
        return String(decoding: PEMInput.contents(of: bio), as: UTF8.self)
    }

    /// Verifies `signature` over `message`. Ed25519 is pure (no pre-hash); ECDSA and RSA hash with
    /// SHA-256. `padding` applies to RSA only. Returns false for any signature that does not verify,
    /// including malformed ones. `strict` also refuses an ECDSA signature that is not low-S (its
    /// malleable twin, see `ECDSASignature`); Ed25519 (OpenSSL checks S < L) and RSA PKCS#1 v1.5
    /// signatures have one valid form already.
    public func verify(signature: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer, padding: RSAPadding = .pkcs1v15,
                       strict: Bool = false) -> Bool {
        if strict, algorithm == .ecdsaP256SHA256, ECDSASignature.form(of: Array(signature)) != .lowS { return false }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        var pctx: OpaquePointer?
        let digest = algorithm == .ed25519 ? nil : FetchedDigest.sha256.md
        guard EVP_DigestVerifyInit(context, &pctx, digest, nil, pkey) == 1 else {
            OpenSSLErrorQueue.clear()
            return false
        }
        if padding == .pss {
            // pctx belongs to the MD context: it is freed with it.
            guard algorithm == .rsaPKCS1SHA256,
                  EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1,
                  EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1,
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) == 1
            else {
                OpenSSLErrorQueue.clear()
                return false
            }
        }
        let sigBase = signature.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let msgBase = message.baseAddress?.assumingMemoryBound(to: UInt8.self)
        // EVP wants a non-null pointer even for an empty message.
        var empty: UInt8 = 0
        let result = withUnsafePointer(to: &empty) { emptyPointer in
            EVP_DigestVerify(context, sigBase ?? emptyPointer, signature.count, msgBase ?? emptyPointer, message.count)
        }
        OpenSSLErrorQueue.clear()
        return result == 1
    }

    public func verify(signature: [UInt8], message: [UInt8], padding: RSAPadding = .pkcs1v15, strict: Bool = false) -> Bool {
        signature.withUnsafeBytes { sig in message.withUnsafeBytes { verify(signature: sig, message: $0, padding: padding, strict: strict) } }
    }
}
