import COpenSSL

/// The certificates a time-stamp is verified against: the CA certificates csirt trusts to certify
/// TSAs, and optionally untrusted certificates (the TSA's own certificate, intermediates) for
/// tokens that do not embed them.
///
/// It holds parsed `X509` objects only, never an `X509_STORE`: each verification builds its own
/// store, because the verification time is set on the store's parameters and a shared store
/// would make concurrent verifications race on it. `X509` objects are reference-counted and not
/// modified after parsing (OpenSSL caches their extension data under its own lock), so sharing
/// them between threads is safe: hence `@unchecked Sendable`.
public final class TimestampTrust: @unchecked Sendable {
    /// Owned references (`X509_free` in deinit).
    let anchors: [OpaquePointer]
    let untrusted: [OpaquePointer]
    /// The trusted CA subjects, one line each, for messages.
    public let anchorSubjects: [String]

    /// `caBundlePEM`: one or more PEM certificates (a CA bundle file's contents), all trusted.
    /// `untrustedPEM`: PEM certificates that may help build the chain but are not trusted.
    /// `source` / `untrustedSource` name the inputs in errors.
    public init(caBundlePEM: [UInt8], source: String, untrustedPEM: [UInt8]? = nil, untrustedSource: String = "untrusted certificates") throws {
        let anchors = try Self.certificates(caBundlePEM, source: source)
        let untrusted: [OpaquePointer]
        do {
            untrusted = try untrustedPEM.map { try Self.certificates($0, source: untrustedSource) } ?? []
        } catch {
            anchors.forEach { X509_free($0) }
            throw error
        }
        self.anchors = anchors
        self.untrusted = untrusted
        anchorSubjects = anchors.map { TimestampASN1.oneLine(X509_get_subject_name($0)) ?? "?" }
    }

    deinit {
        anchors.forEach { X509_free($0) }
        untrusted.forEach { X509_free($0) }
    }

    /// A new `X509_STORE` holding the anchors, its verification time set to `time` (Unix seconds).
    /// The caller owns it (`X509_STORE_free`, or hand it to a `TS_VERIFY_CTX` that frees it).
    func makeStore(at time: Int64) throws -> OpaquePointer {
        guard let store = X509_STORE_new() else { throw CryptoError.openSSL("could not create a certificate store") }
        for anchor in anchors where X509_STORE_add_cert(store, anchor) != 1 {
            X509_STORE_free(store)
            throw CryptoError.openSSL("could not add a CA certificate to the store")
        }
        // Sets X509_V_FLAG_USE_CHECK_TIME too; the X509_STORE_CTX that TS_RESP_verify_signature
        // makes inherits both from the store's parameters.
        X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), time_t(time))
        return store
    }

    /// A new `STACK_OF(X509)` with one new reference to each untrusted certificate; nil if there
    /// are none. The caller owns it (`csirt_sk_X509_pop_free`, or a `TS_VERIFY_CTX`).
    func makeUntrustedStack() throws -> OpaquePointer? {
        guard !untrusted.isEmpty else { return nil }
        guard let stack = csirt_sk_X509_new_null() else { throw CryptoError.openSSL("could not create a certificate list") }
        for cert in untrusted {
            guard X509_up_ref(cert) == 1 else {
                csirt_sk_X509_pop_free(stack)
                throw CryptoError.openSSL("could not reference a certificate")
            }
            guard csirt_sk_X509_push(stack, cert) > 0 else {
                X509_free(cert)
                csirt_sk_X509_pop_free(stack)
                throw CryptoError.openSSL("could not build the certificate list")
            }
        }
        return stack
    }

    /// Every certificate in a PEM text, in order; other PEM blocks (keys, CRLs) are skipped by
    /// OpenSSL. At least one is required. The caller owns the returned references.
    static func certificates(_ pem: [UInt8], source: String) throws -> [OpaquePointer] {
        guard !pem.isEmpty else { throw CryptoError("\(source): empty file, expected PEM certificates") }
        guard pem.count <= PEMInput.maximumSize else {
            throw CryptoError("\(source): \(pem.count) bytes is too large for a certificate file (limit 1 MiB)")
        }
        guard let text = String(validating: pem, as: UTF8.self), text.contains("-----BEGIN CERTIFICATE-----") else {
            throw CryptoError("\(source): no PEM certificate (-----BEGIN CERTIFICATE-----) in the file; a DER certificate must be converted with `openssl x509 -inform DER -in FILE -out FILE.pem`")
        }
        OpenSSLErrorQueue.clear()
        var certs: [OpaquePointer] = []
        var failure: CryptoError?
        PEMInput.withBIO(pem) { bio in
            while true {
                guard let cert = PEM_read_bio_X509(bio, nil, csirt_no_passphrase_cb(), nil) else {
                    // The end of the input is reported as "no start line"; anything else is damage.
                    let code = ERR_peek_last_error()
                    if code != 0 && !(ERR_GET_LIB(code) == ERR_LIB_PEM && ERR_GET_REASON(code) == PEM_R_NO_START_LINE) {
                        failure = CryptoError.openSSL("\(source): malformed PEM certificate (number \(certs.count + 1) in the file)")
                    }
                    OpenSSLErrorQueue.clear()
                    return
                }
                certs.append(cert)
            }
        }
        if let failure {
            certs.forEach { X509_free($0) }
            throw failure
        }
        guard !certs.isEmpty else { throw CryptoError("\(source): no certificate could be read") }
        return certs
    }
}
