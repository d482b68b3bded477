import AuditLog
import Foundation
import GRDB

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

    public static func value(_ date: Date?) -> DatabaseValue {
        date.map { text($0).databaseValue } ?? .null
    }
}
