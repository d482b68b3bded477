import Foundation

/// Timestamps in the audit log: RFC 3339, UTC, whole seconds (`2026-11-23T04:05:06Z`).
public enum RFC3339 {
    public static func format(_ date: Date) -> String {
        format(date, offsetSeconds: 0)
    }

    /// `YYYY-MM-DDTHH:MM:SS` in the zone `offsetSeconds` east of UTC, then `Z` or `±HH:MM`.
    /// Written by hand: Foundation's formatters cost tens of microseconds a call, which a list of
    /// thousands of incidents notices.
    public static func format(_ date: Date, offsetSeconds: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(25)
        writeCivilTime(time_t(date.timeIntervalSince1970.rounded(.down)) + time_t(offsetSeconds), separator: UInt8(ascii: "T"), to: &out)
        if offsetSeconds == 0 {
            out.append(UInt8(ascii: "Z"))
        } else {
            out.append(UInt8(ascii: offsetSeconds > 0 ? "+" : "-"))
            let minutes = abs(offsetSeconds) / 60
            writeDigits(minutes / 60, 2, to: &out); out.append(UInt8(ascii: ":"))
            writeDigits(minutes % 60, 2, to: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `YYYY-MM-DD`, `separator`, `HH:MM:SS` of `seconds` since 1970 (already in the wanted zone).
    public static func writeCivilTime(_ seconds: time_t, separator: UInt8, to out: inout [UInt8]) {
        var seconds = seconds
        var parts = tm()
        gmtime_r(&seconds, &parts)
        writeDigits(Int(parts.tm_year) + 1900, 4, to: &out); out.append(UInt8(ascii: "-"))
        writeDigits(Int(parts.tm_mon) + 1, 2, to: &out); out.append(UInt8(ascii: "-"))
        writeDigits(Int(parts.tm_mday), 2, to: &out); out.append(separator)
        writeDigits(Int(parts.tm_hour), 2, to: &out); out.append(UInt8(ascii: ":"))
        writeDigits(Int(parts.tm_min), 2, to: &out); out.append(UInt8(ascii: ":"))
        writeDigits(Int(parts.tm_sec), 2, to: &out)
    }

    /// `value` in exactly `count` decimal digits, zero-padded.
    public static func writeDigits(_ value: Int, _ count: Int, to out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<count { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            out.append(UInt8(48 + rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }

    /// Accepts exactly `YYYY-MM-DDTHH:MM:SSZ` with a real date and time (leap second allowed).
    @inlinable
    package static func isValid(_ s: UnsafeBufferPointer<UInt8>, _ span: Range<Int>) -> Bool {
        seconds(s, span) != nil
    }

    /// Seconds since 1970 of exactly `YYYY-MM-DDTHH:MM:SSZ` with a real date and time (a leap
    /// second counts as the next second's start), or nil.
    @inlinable
    package static func seconds(_ s: UnsafeBufferPointer<UInt8>, _ span: Range<Int>) -> Int64? {
        let n = span.count
        guard n == 20 else { return nil }
        let p = span.lowerBound
        func digits(_ offset: Int, _ count: Int) -> Int? {
            var value = 0
            for i in 0..<count {
                let c = s[p + offset + i]
                guard c >= 0x30, c <= 0x39 else { return nil }
                value = value * 10 + Int(c - 0x30)
            }
            return value
        }
        guard s[p + 4] == UInt8(ascii: "-"), s[p + 7] == UInt8(ascii: "-"), s[p + 10] == UInt8(ascii: "T"),
              s[p + 13] == UInt8(ascii: ":"), s[p + 16] == UInt8(ascii: ":"), s[p + n - 1] == UInt8(ascii: "Z"),
              let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2),
              let hour = digits(11, 2), let minute = digits(14, 2), let second = digits(17, 2),
              (1...12).contains(month), day >= 1, hour < 24, minute < 60, second <= 60
        else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        // A switch, not an array: this runs for every entry of a log being verified.
        let monthDays: Int
        switch month {
        case 2: monthDays = leap ? 29 : 28
        case 4, 6, 9, 11: monthDays = 30
        default: monthDays = 31
        }
        guard day <= monthDays else { return nil }
        return Int64(daysFromCivil(year: year, month: month, day: day)) * 86_400 + Int64(hour * 3_600 + minute * 60 + second)
    }

    /// Days from 1970-01-01 to a civil date (Howard Hinnant's days_from_civil), exact for every
    /// year 0000–9999; the date is not checked.
    @inlinable
    package static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
