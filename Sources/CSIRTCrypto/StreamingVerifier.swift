import COpenSSL

/// Verifies a detached signature over data that arrives in pieces (a large log archive).
/// ECDSA and RSA hash as they go; Ed25519 has no streaming form, so its pieces are collected and
/// verified in one call at the end.
public final class StreamingVerifier {
    private let key: PublicKey
    private let signature: [UInt8]
    private let padding: RSAPadding
    private let strict: Bool
    private let context: OpaquePointer
    private var collected: [UInt8] = []
    private var failed = false

    /// `strict`: refuse an ECDSA signature that is not in low-S form (see `ECDSASignature`).
    public init(key: PublicKey, signature: [UInt8], padding: RSAPadding = .pkcs1v15, strict: Bool = false) {
        self.key = key
        self.signature = signature
        self.padding = padding
        self.strict = strict
        context = EVP_MD_CTX_new()!
        guard key.algorithm != .ed25519 else { return }
        var pctx: OpaquePointer?
        OpenSSLErrorQueue.clear()
        if EVP_DigestVerifyInit(context, &pctx, FetchedDigest.sha256.md, nil, key.pkey) != 1 {
            failed = true
        } else if padding == .pss {
            // pctx belongs to the MD context: it is freed with it.
            failed = key.algorithm != .rsaPKCS1SHA256
                || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1
                || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1
                || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1
        }
        OpenSSLErrorQueue.clear()
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard !failed, bytes.count > 0 else { return }
        if key.algorithm == .ed25519 {
            collected.append(contentsOf: bytes)
        } else if EVP_DigestVerifyUpdate(context, bytes.baseAddress, bytes.count) != 1 {
            failed = true
        }
    }

    /// True when the signature verifies over everything given to `update`.
    public func finish() -> Bool {
        defer { OpenSSLErrorQueue.clear() }
        guard !failed else { return false }
        if strict, key.algorithm == .ecdsaP256SHA256, ECDSASignature.form(of: signature) != .lowS { return false }
        if key.algorithm == .ed25519 {
            return key.verify(signature: signature, message: collected, padding: padding)
        }
        return EVP_DigestVerifyFinal(context, signature, signature.count) == 1
    }
}
