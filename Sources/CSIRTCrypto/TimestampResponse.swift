import COpenSSL

/// What a TSA answered (`TimeStampResp`, the `application/timestamp-reply` body): a status and,
/// when granted, the token.
///
/// A TSA may refuse politely (status `rejection` with a reason), so a response is parsed first
/// and only a granted one becomes a `TimestampToken`. Its `der` is what csirt stores.
public struct TimestampResponse: Sendable, Equatable {
    /// RFC 3161 `PKIStatus`.
    public enum Status: Int, Sendable, Equatable, CustomStringConvertible {
        case granted = 0
        case grantedWithMods = 1
        case rejection = 2
        case waiting = 3
        case revocationWarning = 4
        case revocationNotification = 5

        /// A token is present only for these two.
        public var isGranted: Bool { self == .granted || self == .grantedWithMods }

        public var description: String {
            switch self {
            case .granted: return "granted"
            case .grantedWithMods: return "grantedWithMods"
            case .rejection: return "rejection"
            case .waiting: return "waiting"
            case .revocationWarning: return "revocationWarning"
            case .revocationNotification: return "revocationNotification"
            }
        }
    }

    /// RFC 3161 `PKIFailureInfo` bits: why a TSA rejected a request.
    public enum FailureInfo: Int, Sendable, Equatable, CaseIterable, CustomStringConvertible {
        /// Unrecognized or unsupported algorithm identifier (e.g. a hash the TSA does not accept).
        case badAlg = 0
        /// Transaction not permitted or supported.
        case badRequest = 2
        /// The data submitted has the wrong format.
        case badDataFormat = 5
        /// The TSA's time source is not available.
        case timeNotAvailable = 14
        /// The requested TSA policy is not supported by the TSA.
        case unacceptedPolicy = 15
        /// The requested extension is not supported by the TSA.
        case unacceptedExtension = 16
        /// The additional information requested could not be understood or is not available.
        case addInfoNotAvailable = 17
        /// The request cannot be handled due to system failure.
        case systemFailure = 25

        public var description: String {
            switch self {
            case .badAlg: return "badAlg"
            case .badRequest: return "badRequest"
            case .badDataFormat: return "badDataFormat"
            case .timeNotAvailable: return "timeNotAvailable"
            case .unacceptedPolicy: return "unacceptedPolicy"
            case .unacceptedExtension: return "unacceptedExtension"
            case .addInfoNotAvailable: return "addInfoNotAvailable"
            case .systemFailure: return "systemFailure"
            }
        }
    }

    public let status: Status
    /// The TSA's free-text status strings (`statusString`), often the reason for a rejection.
    public let statusText: [String]
    public let failureInfo: [FailureInfo]
    /// The token, for a granted response.
    public let token: TimestampToken?
    /// The response as received.
    public let der: [UInt8]

    /// Parses a `TimeStampResp`. A bare token is not a response: use `TimestampToken(der:)`.
    public init(der: [UInt8], source: String = "time-stamp response") throws {
        let decoded = try DecodedTimestamp(der: der, source: source)
        guard let response = decoded.response else {
            throw CryptoError("\(source): a bare time-stamp token, not a TSA response")
        }
        let info = try StatusInfo(response, source: source)
        status = info.status
        statusText = info.text
        failureInfo = info.failureInfo
        token = status.isGranted ? try TimestampToken(decoded, der: der, source: source) : nil
        self.der = der
    }

    /// One line: "rejection: Message digest algorithm is not supported. (badAlg)".
    public var summary: String {
        StatusInfo(status: status, text: statusText, failureInfo: failureInfo).summary
    }

    /// The PKIStatusInfo of a decoded `TS_RESP` (borrowed).
    struct StatusInfo {
        let status: Status
        let text: [String]
        let failureInfo: [FailureInfo]

        init(status: Status, text: [String], failureInfo: [FailureInfo]) {
            self.status = status
            self.text = text
            self.failureInfo = failureInfo
        }

        init(_ response: OpaquePointer, source: String) throws {
            guard let info = TS_RESP_get_status_info(response) else {
                throw CryptoError("\(source): the time-stamp response has no status")
            }
            guard let value = TimestampASN1.int64(of: TS_STATUS_INFO_get0_status(info)),
                  let status = Status(rawValue: Int(value))
            else { throw CryptoError("\(source): the time-stamp response has an unknown status") }
            self.status = status
            var text: [String] = []
            if let strings = TS_STATUS_INFO_get0_text(info) {
                for index in 0..<csirt_sk_ASN1_UTF8STRING_num(strings) {
                    let string = csirt_sk_ASN1_UTF8STRING_value(strings, index)
                    text.append(String(decoding: TimestampASN1.bytes(of: string), as: UTF8.self))
                }
            }
            self.text = text
            if let bits = TS_STATUS_INFO_get0_failure_info(info) {
                failureInfo = FailureInfo.allCases.filter { ASN1_BIT_STRING_get_bit(bits, Int32($0.rawValue)) == 1 }
            } else {
                failureInfo = []
            }
        }

        var summary: String {
            var line = status.description
            if !text.isEmpty { line += ": " + text.joined(separator: " ") }
            if !failureInfo.isEmpty { line += " (" + failureInfo.map(\.description).joined(separator: ", ") + ")" }
            return line
        }
    }
}
