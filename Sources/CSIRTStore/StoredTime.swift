import CanonicalJSON
import Foundation

/// Times as GRDB stores a `Date`: `yyyy-MM-dd HH:mm:ss.SSS` in UTC, rounded to the millisecond.
/// Written by hand because GRDB formats with a DateFormatter, which costs several microseconds a
/// call, and opening an incident writes about twenty times. The text must be exactly GRDB's (a
/// test compares them), since queries compare stored times as text.
public enum StoredTime {
    public static func text(_ date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        let seconds = (milliseconds / 1000).rounded(.down)
        var out: [UInt8] = []
        out.reserveCapacity(23)
        RFC3339.writeCivilTime(time_t(seconds), separator: UInt8(ascii: " "), to: &out)
        out.append(UInt8(ascii: "."))
        RFC3339.writeDigits(Int(milliseconds - seconds * 1000), 3, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The time as it will read back: rounded to the millisecond. A change that answers with what
    /// it wrote, without reading it back, rounds its times first (23:59:59.9996 is stored as the
    /// next day's 00:00:00.000).
    public static func rounded(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }

    /// Reads `yyyy-MM-dd HH:mm:ss.SSS` (the fraction optional) as UTC, without a calendar: a report
    /// reads hundreds of thousands of stored times, and GRDB's general date parsing costs
    /// microseconds each. Anything else is nil (the caller falls back to GRDB).
    public static func date(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { bytes -> Date? in
            guard bytes.count == 19 || bytes.count == 23 else { return nil }
            func number(_ from: Int, _ count: Int) -> Int? {
                var value = 0
                for index in from..<(from + count) {
                    let digit = Int(bytes[index]) - 48
                    guard digit >= 0 && digit <= 9 else { return nil }
                    value = value * 10 + digit
                }
                return value
            }
            guard bytes[4] == 0x2d, bytes[7] == 0x2d, bytes[10] == 0x20 || bytes[10] == 0x54, bytes[13] == 0x3a, bytes[16] == 0x3a,
                  let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
                  let minute = number(14, 2), let second = number(17, 2), (1...12).contains(month), (1...31).contains(day),
                  hour < 24, minute < 60, second < 61 else { return nil }
            var milliseconds = 0
            if bytes.count == 23 {
                guard bytes[19] == 0x2e, let fraction = number(20, 3) else { return nil }
                milliseconds = fraction
            }
            let days = RFC3339.daysFromCivil(year: year, month: month, day: day)
            let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second
            return Date(timeIntervalSince1970: Double(seconds) + Double(milliseconds) / 1000)
        }
    }
}
