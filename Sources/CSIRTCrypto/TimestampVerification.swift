import COpenSSL

/// The outcome of verifying a time-stamp: valid or not, why not in one readable line, and the
/// facts of the token (which only mean something when `isValid`).
public struct TimestampVerification: Sendable, Equatable {
    public let isValid: Bool
    /// Why the time-stamp does not verify, phrased for the person running csirt; nil when valid.
    public let failureReason: String?
    public let token: TimestampToken
    /// The subject of the certificate that signed the token, found among the embedded and the
    /// untrusted certificates (known for a valid token; may be nil for an invalid one).
    public let signerSubject: String?
    /// The moment (Unix seconds) at which the TSA's certificate chain was checked.
    public let checkedAt: Int64
}

extension TimestampToken {
    /// Verifies this time-stamp with OpenSSL (`TS_RESP_verify_response` for the `.response`
    /// form, `TS_RESP_verify_token` for a bare token), checking:
    /// - the signature, and that the signer's certificate chains to a CA in `trust`, with the
    ///   purpose "time stamp signing": the TSA certificate must carry a *critical*
    ///   extendedKeyUsage of timeStamping only, and a keyUsage (if any) of digitalSignature /
    ///   nonRepudiation (`TS_VFY_SIGNATURE`); also that the ESS signing-certificate attribute
    ///   names that certificate;
    /// - TSTInfo version 1 (`TS_VFY_VERSION`);
    /// - that the imprint is SHA-256 and equals `sha256` (`TS_VFY_IMPRINT`);
    /// - that the TSA name, if present, matches the signer certificate (`TS_VFY_SIGNER`);
    /// - when `nonce` is given, that the token echoes it (`TS_VFY_NONCE`): pass the request's
    ///   nonce right after receiving a response; a stored token is verified without one.
    ///
    /// `TS_VFY_TSA_NAME` (the TSA is a *particular* named TSA) is not used: OpenSSL 3.0 has no
    /// public setter for the expected name, and the flag without one makes OpenSSL dereference
    /// NULL. Trusting a CA that certifies only the wanted TSA gives the same assurance.
    ///
    /// **Time.** OpenSSL checks certificate validity at the current time unless told otherwise;
    /// here the chain is checked at the token's genTime (`X509_VERIFY_PARAM_set_time` on the
    /// store's parameters; whole seconds), or at `checkTime` (Unix seconds) when given. A log's
    /// old tokens must keep verifying after the TSA certificate expires: the token proves the
    /// time, and the certificate only has to have been valid then. (This trusts that the TSA key
    /// was not compromised later; csirt checks no CRLs.) `openssl ts -verify` checks at the
    /// current time; the same check at genTime is `-attime UNIXSECONDS`.
    public func verify(sha256: [UInt8], nonce: [UInt8]? = nil, trust: TimestampTrust, checkTime: Int64? = nil) -> TimestampVerification {
        let time = checkTime ?? genTime.unixSeconds
        var signer: String?
        func result(_ reason: String?) -> TimestampVerification {
            TimestampVerification(isValid: reason == nil, failureReason: reason, token: self,
                                  signerSubject: signer ?? (reason == nil ? signerSubject : nil), checkedAt: time)
        }
        guard sha256.count == SHA256.byteCount else {
            return result("the expected imprint must be a SHA-256 digest of 32 bytes, not \(sha256.count)")
        }
        guard hashAlgorithm == "sha256" else {
            return result("the token time-stamps a \(hashAlgorithm) digest, csirt expects sha256")
        }
        do {
            let expectedNonce = try nonce.map(TimestampRequest.normalizedNonce)
            let decoded = try DecodedTimestamp(der: der, source: "time-stamp")
            guard let p7 = decoded.pkcs7 else { return result("the time-stamp response holds no token") }

            // The expected imprint, algorithm and nonce travel in a TS_REQ, which OpenSSL turns
            // into a verification context (copying them).
            let request = try TimestampRequest.makeTSReq(sha256: sha256, nonce: expectedNonce, certReq: false, policy: nil)
            defer { TS_REQ_free(request) }
            OpenSSLErrorQueue.clear()
            guard let context = TS_REQ_to_TS_VERIFY_CTX(request, nil) else {
                throw CryptoError.openSSL("could not create a verification context")
            }
            // Frees the store, the untrusted stack and the copies taken from the request.
            defer { TS_VERIFY_CTX_free(context) }
            // Replaces the flags TS_REQ_to_TS_VERIFY_CTX chose (it also sets TS_VFY_POLICY).
            TS_VERIFY_CTX_set_flags(context, csirt_TS_VFY_flags(expectedNonce == nil ? 0 : 1))

            let store = try trust.makeStore(at: time)
            guard csirt_TS_VERIFY_CTX_set0_store(context, store) == 1 else {
                X509_STORE_free(store)
                throw CryptoError.openSSL("could not set the certificate store")
            }
            // Borrowed below for the signer lookup; owned by the context from here on.
            let untrusted = try trust.makeUntrustedStack()
            if let untrusted, csirt_TS_VERIFY_CTX_set0_certs(context, untrusted) != 1 {
                csirt_sk_X509_pop_free(untrusted)
                throw CryptoError.openSSL("could not set the untrusted certificates")
            }

            let verified: Int32
            if let response = decoded.response {
                verified = TS_RESP_verify_response(context, response)
            } else {
                verified = TS_RESP_verify_token(context, p7)
            }
            let errors = TimestampErrorQueue.drain()
            signer = Self.signerSubject(p7, extraCertificates: untrusted)
            if verified == 1 { return result(nil) }
            return result(reason(for: errors, expected: sha256, nonce: expectedNonce, signer: signer, trust: trust, time: time, checkTimeGiven: checkTime != nil))
        } catch {
            OpenSSLErrorQueue.clear()
            return result("\(error)")
        }
    }

    /// Turns OpenSSL's reasons into a sentence that says what is wrong with this token.
    private func reason(for errors: TimestampErrorQueue, expected: [UInt8], nonce: [UInt8]?, signer: String?,
                        trust: TimestampTrust, time: Int64, checkTimeGiven: Bool) -> String {
        func has(_ reason: Int32, _ library: Int32 = ERR_LIB_TS) -> Bool { errors.contains(library: library, reason: reason) }
        if has(TS_R_MESSAGE_IMPRINT_MISMATCH) {
            return "the token time-stamps another digest: its imprint is \(hashAlgorithm) \(Hex.encode(messageImprint)), expected sha256 \(Hex.encode(expected))"
        }
        if has(TS_R_NONCE_NOT_RETURNED) {
            return "the token carries no nonce, but the request had one: the response does not answer this request"
        }
        if has(TS_R_NONCE_MISMATCH) {
            return "the token's nonce \(self.nonce.map { Hex.encode($0) } ?? "-") is not the request's \(nonce.map { Hex.encode($0) } ?? "-"): the response does not answer this request"
        }
        if has(PKCS7_R_SIGNER_CERTIFICATE_NOT_FOUND, ERR_LIB_PKCS7) {
            return "the TSA certificate that signed the token is \(hasEmbeddedCertificates ? "not among the embedded certificates" : "not embedded in the token"); supply it as an untrusted certificate"
        }
        if has(TS_R_CERTIFICATE_VERIFY_ERROR) {
            let detail = errors.certificateVerifyError ?? "the chain does not verify"
            let when = checkTimeGiven ? "at Unix time \(time)" : "at the token's genTime \(genTime)"
            return "the TSA certificate\(signer.map { " (\($0))" } ?? "") is not trusted \(when): \(detail); trusted CAs: \(trust.anchorSubjects.joined(separator: " | "))"
        }
        if has(TS_R_ESS_SIGNING_CERTIFICATE_ERROR) || errors.entries.contains(where: { $0.library == ERR_LIB_ESS }) {
            return "the token's signing-certificate attribute does not name the certificate that signed it"
        }
        if has(TS_R_SIGNATURE_FAILURE) {
            return "the token's signature does not verify: it was altered or signed with another key"
        }
        if has(TS_R_TSA_NAME_MISMATCH) {
            return "the token's TSA name (\(tsaName ?? "-")) does not match the certificate that signed it"
        }
        if has(TS_R_UNSUPPORTED_VERSION) {
            return "the token's TSTInfo version is not 1"
        }
        let summary = errors.summary
        return "the time-stamp does not verify" + (summary.isEmpty ? "" : ": " + summary)
    }
}
