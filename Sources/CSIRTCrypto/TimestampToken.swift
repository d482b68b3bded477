import COpenSSL

/// A granted RFC 3161 time-stamp and the facts it states, read from its DER.
///
/// **What csirt stores** is `der` as parsed, normally the whole `TimeStampResp` the TSA sent
/// (`form == .response`), byte for byte. That is the file `openssl ts -reply -out` writes, so an
/// auditor checks it with `openssl ts -verify -digest HEX -in FILE -CAfile CA.pem`; a bare token
/// (`.token`, from `-token_out` or another tool) is also read, and is checked with `-token_in`.
///
/// Parsing checks structure only. Nothing here is trustworthy until `verify` succeeds: anyone
/// can write a TSTInfo with any genTime.
public struct TimestampToken: Sendable, Equatable {
    /// The bytes this was parsed from, in `form`: what csirt stores.
    public let der: [UInt8]
    public let form: TimestampForm
    /// The bare `TimeStampToken` (ContentInfo) inside, for tools that want that form.
    public let tokenDER: [UInt8]

    /// When the TSA says the imprint existed.
    public let genTime: TimestampTime
    /// The TSA's declared accuracy of genTime, if it gave one.
    public let accuracy: TimestampAccuracy?
    /// The imprint's hash algorithm as OpenSSL names it ("sha256"), or the dotted OID if unknown.
    public let hashAlgorithm: String
    /// The hash the TSA signed (for csirt: the SHA-256 of a checkpoint line).
    public let messageImprint: [UInt8]
    /// The nonce echoed from the request (unsigned big-endian, no leading zeros), if any.
    public let nonce: [UInt8]?
    /// The TSA's serial number for this token, as `openssl ts -text` prints it ("0x02").
    public let serialNumber: String
    /// The TSA policy the token was issued under, dotted ("1.2.3.4.1").
    public let policy: String
    /// The TSTInfo `tsa` field, if the TSA filled it in ("O = Example TSA, CN = TSA 1").
    public let tsaName: String?
    /// The subject of the signing certificate, when that certificate is embedded in the token.
    public let signerSubject: String?
    /// Whether the token carries certificates (the TSA honoured certReq). Without them, verifying
    /// needs the TSA certificate supplied as an untrusted certificate.
    public let hasEmbeddedCertificates: Bool

    /// Parses a stored or received time-stamp in either form. A response whose status is not
    /// granted is an error naming the status and the TSA's text: there is no token to keep.
    /// `source` names the input in errors.
    public init(der: [UInt8], source: String = "time-stamp") throws {
        let decoded = try DecodedTimestamp(der: der, source: source)
        if let response = decoded.response {
            let status = try TimestampResponse.StatusInfo(response, source: source)
            guard status.status.isGranted else {
                throw CryptoError("\(source): the TSA did not grant a time-stamp: \(status.summary)")
            }
        }
        try self.init(decoded, der: der, source: source)
    }

    /// Reads the facts of a decoded time-stamp that carries a token.
    init(_ decoded: DecodedTimestamp, der: [UInt8], source: String) throws {
        guard let p7 = decoded.pkcs7, let info = decoded.tstInfo else {
            throw CryptoError("\(source): the time-stamp response holds no token")
        }
        self.der = der
        form = decoded.form
        // A bare token is kept as given; one inside a response is re-encoded from OpenSSL's parse.
        tokenDER = decoded.form == .token ? der : try Self.encode(p7, source: source)

        guard let time = TS_TST_INFO_get_time(info) else { throw CryptoError("\(source): the token has no genTime") }
        genTime = try TimestampTime(time)
        accuracy = TS_TST_INFO_get_accuracy(info).map(TimestampAccuracy.init)

        guard let imprint = TS_TST_INFO_get_msg_imprint(info), let algorithm = TS_MSG_IMPRINT_get_algo(imprint) else {
            throw CryptoError("\(source): the token has no message imprint")
        }
        var algorithmObject: OpaquePointer?
        X509_ALGOR_get0(&algorithmObject, nil, nil, algorithm)
        hashAlgorithm = TimestampASN1.text(of: algorithmObject, dotted: false) ?? "unknown"
        messageImprint = TimestampASN1.bytes(of: TS_MSG_IMPRINT_get_msg(imprint))

        nonce = TS_TST_INFO_get_nonce(info).flatMap { TimestampASN1.magnitude(of: $0) }
        guard let serial = TimestampASN1.hexText(of: TS_TST_INFO_get_serial(info)) else {
            throw CryptoError("\(source): the token has no serial number")
        }
        serialNumber = serial
        guard let policy = TimestampASN1.text(of: TS_TST_INFO_get_policy_id(info), dotted: true) else {
            throw CryptoError("\(source): the token has no policy")
        }
        self.policy = policy
        tsaName = TimestampASN1.text(of: TS_TST_INFO_get_tsa(info))

        let embedded = csirt_PKCS7_get0_signed_certs(p7)
        hasEmbeddedCertificates = embedded.map { csirt_sk_X509_num($0) > 0 } ?? false
        signerSubject = Self.signerSubject(p7, extraCertificates: nil)
    }

    /// The subject of the token's signer, looked up among the embedded certificates and
    /// `extraCertificates` (a `STACK_OF(X509)`, borrowed). Nil if the signer is not among them.
    static func signerSubject(_ p7: UnsafeMutablePointer<PKCS7>, extraCertificates: OpaquePointer?) -> String? {
        // PKCS7_get0_signers returns a new stack of borrowed certificates: free the stack only.
        guard let signers = PKCS7_get0_signers(p7, extraCertificates, 0) else {
            OpenSSLErrorQueue.clear()
            return nil
        }
        defer { csirt_sk_X509_free(signers) }
        guard csirt_sk_X509_num(signers) >= 1, let signer = csirt_sk_X509_value(signers, 0) else { return nil }
        return TimestampASN1.oneLine(X509_get_subject_name(signer))
    }

    private static func encode(_ p7: UnsafeMutablePointer<PKCS7>, source: String) throws -> [UInt8] {
        let length = i2d_PKCS7(p7, nil)
        guard length > 0 else { throw CryptoError.openSSL("\(source): could not encode the token") }
        var out = [UInt8](repeating: 0, count: Int(length))
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_PKCS7(p7, &cursor)
        }
        guard written == length else { throw CryptoError.openSSL("\(source): could not encode the token") }
        return out
    }
}
