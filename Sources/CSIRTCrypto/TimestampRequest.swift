import COpenSSL

/// An RFC 3161 `TimeStampReq` over a SHA-256 digest, DER-encoded: the body of the
/// `application/timestamp-query` POST to a Time-Stamping Authority.
///
/// csirt time-stamps the SHA-256 of an audit-log checkpoint line, so the TSA sees only a digest,
/// never log content. The request is what `openssl ts -query -sha256 -digest HEX -cert` makes:
/// version 1, a MessageImprint whose AlgorithmIdentifier is SHA-256 with NULL parameters (the
/// encoding OpenSSL's CLI uses and that TSAs tested against it accept), a nonce, certReq.
public struct TimestampRequest: Sendable, Equatable {
    /// The digest being time-stamped (32 bytes).
    public let sha256: [UInt8]
    /// The nonce as an unsigned big-endian number without leading zero bytes, nil if the request
    /// carries none. Pass it to `TimestampToken.verify(…nonce:…)` right after the response
    /// arrives: a matching nonce proves the response answers this request, not a replayed one.
    /// (A stored token is later verified without it; the nonce only matters at request time.)
    public let nonce: [UInt8]?
    /// Whether the TSA is asked to embed its certificate in the token. csirt asks, so that a
    /// stored token verifies with the CA certificate alone.
    public let certReq: Bool
    /// The TSA policy asked for (dotted OID), nil to accept the TSA's default policy.
    public let policy: String?
    /// The DER `TimeStampReq`.
    public let der: [UInt8]

    /// The size of the random nonce: 64 bits, as `openssl ts -query` uses.
    public static let nonceByteCount = 8

    /// A request with a fresh random 64-bit nonce from OpenSSL's DRBG: the normal case.
    public init(sha256: [UInt8], certReq: Bool = true, policy: String? = nil) throws {
        try self.init(sha256: sha256, nonce: Self.randomNonce(), certReq: certReq, policy: policy)
    }

    /// A request with the given nonce (big-endian bytes; leading zero bytes are dropped, since an
    /// ASN.1 INTEGER cannot keep them), or with no nonce at all when `nonce` is nil.
    public init(sha256: [UInt8], nonce: [UInt8]?, certReq: Bool = true, policy: String? = nil) throws {
        let normalized = try nonce.map(Self.normalizedNonce)
        let request = try Self.makeTSReq(sha256: sha256, nonce: normalized, certReq: certReq, policy: policy)
        defer { TS_REQ_free(request) }
        let length = i2d_TS_REQ(request, nil)
        guard length > 0 else { throw CryptoError.openSSL("could not encode the time-stamp request") }
        var out = [UInt8](repeating: 0, count: Int(length))
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_TS_REQ(request, &cursor)
        }
        guard written == length else { throw CryptoError.openSSL("could not encode the time-stamp request") }
        self.sha256 = sha256
        self.nonce = normalized
        self.certReq = certReq
        self.policy = policy
        self.der = out
    }

    /// 64 random bits whose first byte is not zero, so the nonce always has 8 bytes.
    static func randomNonce() throws -> [UInt8] {
        while true {
            let bytes = try RandomBytes.generate(nonceByteCount)
            if bytes[0] != 0 { return bytes }
        }
    }

    static func normalizedNonce(_ nonce: [UInt8]) throws -> [UInt8] {
        let trimmed = Array(nonce.drop { $0 == 0 })
        guard !trimmed.isEmpty else { throw CryptoError("a time-stamp nonce must be a positive number (at least one non-zero byte)") }
        guard trimmed.count <= 32 else { throw CryptoError("a time-stamp nonce of \(trimmed.count) bytes is too long (at most 32)") }
        return trimmed
    }

    /// Builds a `TS_REQ`; the caller frees it with `TS_REQ_free`. Also used to set up
    /// verification (`TS_REQ_to_TS_VERIFY_CTX` copies the imprint, algorithm and nonce from a
    /// request), which keeps csirt off `TS_VERIFY_CTX_set_imprint`, deprecated in OpenSSL 3.4.
    /// Every `TS_*_set_*` call below copies its argument, so the pieces are freed here.
    static func makeTSReq(sha256: [UInt8], nonce: [UInt8]?, certReq: Bool, policy: String?) throws -> OpaquePointer {
        guard sha256.count == SHA256.byteCount else {
            throw CryptoError("a time-stamp request needs a SHA-256 digest of 32 bytes, not \(sha256.count)")
        }
        OpenSSLErrorQueue.clear()
        guard let request = TS_REQ_new() else { throw CryptoError.openSSL("could not create a time-stamp request") }
        do {
            guard TS_REQ_set_version(request, 1) == 1 else { throw CryptoError.openSSL("could not set the request version") }

            guard let imprint = TS_MSG_IMPRINT_new() else { throw CryptoError.openSSL("could not create a message imprint") }
            defer { TS_MSG_IMPRINT_free(imprint) }
            guard let algorithm = X509_ALGOR_new() else { throw CryptoError.openSSL("could not create an algorithm identifier") }
            defer { X509_ALGOR_free(algorithm) }
            // OBJ_nid2obj returns a static object; X509_ALGOR_free does not free static objects.
            guard X509_ALGOR_set0(algorithm, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nil) == 1,
                  TS_MSG_IMPRINT_set_algo(imprint, algorithm) == 1
            else { throw CryptoError.openSSL("could not set the SHA-256 algorithm identifier") }
            var digest = sha256
            guard TS_MSG_IMPRINT_set_msg(imprint, &digest, Int32(digest.count)) == 1,
                  TS_REQ_set_msg_imprint(request, imprint) == 1
            else { throw CryptoError.openSSL("could not set the message imprint") }

            if let policy {
                guard let object = OBJ_txt2obj(policy, 1) else {
                    OpenSSLErrorQueue.clear()
                    throw CryptoError("time-stamp policy \"\(policy)\" is not a dotted OID such as 1.2.3.4.1")
                }
                defer { ASN1_OBJECT_free(object) }
                guard TS_REQ_set_policy_id(request, object) == 1 else { throw CryptoError.openSSL("could not set the policy") }
            }

            if let nonce {
                guard let integer = TimestampASN1.makeInteger(nonce) else { throw CryptoError.openSSL("could not encode the nonce") }
                defer { ASN1_INTEGER_free(integer) }
                guard TS_REQ_set_nonce(request, integer) == 1 else { throw CryptoError.openSSL("could not set the nonce") }
            }

            guard TS_REQ_set_cert_req(request, certReq ? 1 : 0) == 1 else { throw CryptoError.openSSL("could not set certReq") }
            return request
        } catch {
            TS_REQ_free(request)
            throw error
        }
    }
}
