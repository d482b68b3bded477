import COpenSSL

/// The `genTime` of a time-stamp token: when the TSA says the digest existed.
///
/// RFC 3161 writes it as a GeneralizedTime in UTC, with an optional fraction of a second
/// (`20261204035115.71Z`). csirt keeps the whole seconds as an exact Unix time (for comparisons
/// and for verifying the TSA's certificate at that moment) and the fraction as the decimal digits
/// the TSA wrote: a `Double` could not hold `.71` exactly, and nothing in csirt needs to compute
/// with sub-second times.
public struct TimestampTime: Sendable, Equatable, CustomStringConvertible {
    /// Whole seconds since 1970-01-01T00:00:00Z; the fraction is not rounded in.
    public let unixSeconds: Int64
    /// The digits after the decimal point as written in the token ("71" for .71 s), nil if none.
    public let fraction: String?
    /// The GeneralizedTime exactly as in the token.
    public let generalizedTime: String

    /// ISO 8601, UTC: `2026-12-04T03:51:15.71Z`.
    public var description: String {
        let t = Array(generalizedTime.utf8)
        guard t.count >= 15 else { return generalizedTime }
        func part(_ range: Range<Int>) -> String { String(decoding: t[range], as: UTF8.self) }
        return "\(part(0..<4))-\(part(4..<6))-\(part(6..<8))T\(part(8..<10)):\(part(10..<12)):\(part(12..<14))"
            + (fraction.map { "." + $0 } ?? "") + "Z"
    }

    /// Reads a GeneralizedTime. `ASN1_TIME_to_tm` validates it and gives the calendar fields
    /// (ignoring a fraction); the fraction is taken from the text.
    init(_ time: UnsafePointer<ASN1_GENERALIZEDTIME>) throws {
        let text = String(decoding: TimestampASN1.bytes(of: time), as: UTF8.self)
        guard ASN1_STRING_type(time) == V_ASN1_GENERALIZEDTIME, text.hasSuffix("Z") else {
            throw CryptoError("the token's genTime \"\(text)\" is not a UTC GeneralizedTime")
        }
        var fields = tm()
        guard ASN1_TIME_to_tm(time, &fields) == 1 else {
            OpenSSLErrorQueue.clear()
            throw CryptoError("the token's genTime \"\(text)\" is not a valid time")
        }
        var fraction: String?
        if let dot = text.firstIndex(of: ".") {
            let digits = text[text.index(after: dot)..<text.index(before: text.endIndex)]
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw CryptoError("the token's genTime \"\(text)\" has a malformed fraction of a second")
            }
            fraction = String(digits)
        }
        let days = Self.daysSinceEpoch(year: Int64(fields.tm_year) + 1900, month: Int64(fields.tm_mon) + 1, day: Int64(fields.tm_mday))
        unixSeconds = days * 86_400 + Int64(fields.tm_hour) * 3600 + Int64(fields.tm_min) * 60 + Int64(fields.tm_sec)
        self.fraction = fraction
        generalizedTime = text
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`):
    /// pure arithmetic, so the result does not depend on the time zone or on `timegm`.
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

/// The TSA's declared accuracy of genTime (RFC 3161 `Accuracy`): the true time lies within
/// genTime ± this. Absent fields count as zero, as the RFC says.
public struct TimestampAccuracy: Sendable, Equatable {
    public let seconds: Int64
    public let milliseconds: Int64
    public let microseconds: Int64

    public var totalMicroseconds: Int64 { seconds * 1_000_000 + milliseconds * 1000 + microseconds }

    init(_ accuracy: OpaquePointer) {
        seconds = TimestampASN1.int64(of: TS_ACCURACY_get_seconds(accuracy)) ?? 0
        milliseconds = TimestampASN1.int64(of: TS_ACCURACY_get_millis(accuracy)) ?? 0
        microseconds = TimestampASN1.int64(of: TS_ACCURACY_get_micros(accuracy)) ?? 0
    }
}
