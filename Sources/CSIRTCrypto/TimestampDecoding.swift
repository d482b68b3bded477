import COpenSSL

/// The two DER forms a time-stamp arrives or is stored in.
public enum TimestampForm: String, Sendable, Equatable {
    /// A whole `TimeStampResp` (status + token): what a TSA returns as
    /// `application/timestamp-reply`, and what `openssl ts -reply -out FILE` writes.
    /// `openssl ts -verify -in FILE` reads it directly. **csirt stores this form**, byte for byte
    /// as received: the TSA's status stays with the token, and the auditor's command needs no
    /// extra option.
    case response
    /// A bare `TimeStampToken` (a CMS/PKCS#7 ContentInfo with SignedData over a TSTInfo): what
    /// `openssl ts -reply -token_out` writes and what other tools (e.g. PDF or CMS signers) embed.
    /// `openssl ts -verify` reads it with `-token_in`.
    case token
}

/// A decoded `TS_RESP` or PKCS#7 token, owned for the duration of one parse or verification.
/// One owner, one `deinit`: every OpenSSL object decoded here is freed exactly once, and the
/// borrowed `pkcs7` / `tstInfo` pointers are valid only while this object lives.
final class DecodedTimestamp {
    private enum Storage {
        /// `TS_RESP_free` frees the token and TSTInfo inside it.
        case response(OpaquePointer)
        /// The TSTInfo was decoded out of the token by `PKCS7_to_TS_TST_INFO`: a separate object.
        case token(UnsafeMutablePointer<PKCS7>, tstInfo: OpaquePointer)
    }

    private let storage: Storage

    var form: TimestampForm {
        switch storage {
        case .response: return .response
        case .token: return .token
        }
    }

    /// The response, when decoded from the `.response` form.
    var response: OpaquePointer? {
        if case .response(let response) = storage { return response }
        return nil
    }

    /// The SignedData token; nil for a response without one (not granted).
    var pkcs7: UnsafeMutablePointer<PKCS7>? {
        switch storage {
        case .response(let response): return TS_RESP_get_token(response)
        case .token(let p7, _): return p7
        }
    }

    var tstInfo: OpaquePointer? {
        switch storage {
        case .response(let response): return TS_RESP_get_tst_info(response)
        case .token(_, let tstInfo): return tstInfo
        }
    }

    /// Decodes either form. A `TimeStampResp` starts with the status SEQUENCE, a ContentInfo with
    /// an OID, so at most one of the two decoders accepts the bytes.
    init(der: [UInt8], source: String) throws {
        OpenSSLErrorQueue.clear()
        switch TimestampASN1.decode(der, { d2i_TS_RESP(nil, $0, $1) }, free: { TS_RESP_free($0) }) {
        case .value(let response):
            storage = .response(response)
            return
        case .trailing(let count):
            throw CryptoError("\(source): \(count) unexpected bytes after the time-stamp response")
        case .malformed:
            break
        }
        // A response that is well-formed DER but inconsistent (granted without a token, a token
        // with a rejection) fails in OpenSSL's decoder with a time-stamp reason worth showing.
        let responseReasons = TimestampErrorQueue.drain().entries.filter { $0.library == ERR_LIB_TS }.map(\.text)
        switch TimestampASN1.decode(der, { d2i_PKCS7(nil, $0, $1) }, free: { PKCS7_free($0) }) {
        case .value(let p7):
            guard let tstInfo = PKCS7_to_TS_TST_INFO(p7) else {
                PKCS7_free(p7)
                throw CryptoError.openSSL("\(source): a PKCS#7 structure, but not a time-stamp token")
            }
            storage = .token(p7, tstInfo: tstInfo)
        case .trailing(let count):
            throw CryptoError("\(source): \(count) unexpected bytes after the time-stamp token")
        case .malformed:
            OpenSSLErrorQueue.clear()
            if let reason = responseReasons.first {
                throw CryptoError("\(source): invalid time-stamp response: \(reason)")
            }
            if der.isEmpty { throw CryptoError("\(source): empty, expected a DER time-stamp response or token") }
            let looksLikeText = der.prefix(64).allSatisfy { $0 == 9 || $0 == 10 || $0 == 13 || (32..<127).contains($0) }
            throw CryptoError("\(source): not a DER time-stamp response or token\(looksLikeText ? " (it is text; PEM or HTML?)" : "")")
        }
    }

    deinit {
        switch storage {
        case .response(let response):
            TS_RESP_free(response)
        case .token(let p7, let tstInfo):
            TS_TST_INFO_free(tstInfo)
            PKCS7_free(p7)
        }
    }
}
