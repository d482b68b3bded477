import CanonicalJSON
import Foundation

/// Times as people type them: RFC 3339 with a zone (`2026-11-23T09:30:00+09:00`, `…Z`), or a local
/// date and time without one (`2026-11-23T09:30`, `2026-11-23 09:30`, `2026-11-23`) in `zone`.
public enum TimeInput {
    public static func parse(_ text: String, zone: TimeZone = .current, what: String) throws(CSIRTError) -> Date {
        let date = try parseAny(text, zone: zone, what: what)
        guard isPlausible(date) else {
            throw CSIRTError(.input, "\(what) \"\(text)\" is not a plausible time (before 2000 or after 2200)")
        }
        return date
    }

    /// 2000-01-01 … 2200-01-01: a two-digit year typed by mistake is caught here (CLI and API alike).
    public static func isPlausible(_ date: Date) -> Bool {
        date.timeIntervalSince1970 >= 946_684_800 && date.timeIntervalSince1970 < 7_258_118_400
    }

    /// RFC 3339 with a zone, fractional seconds allowed: what machines send (the HTTP API).
    static func withZone(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// A plausible RFC 3339 time with a zone, or nil (the API's times; no local forms).
    public static func rfc3339(_ text: String) -> Date? {
        withZone(text).flatMap { isPlausible($0) ? $0 : nil }
    }

    static func parseAny(_ text: String, zone: TimeZone, what: String) throws(CSIRTError) -> Date {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let date = withZone(trimmed) { return date }
        let local = DateFormatter()
        local.locale = Locale(identifier: "en_US_POSIX")
        local.timeZone = zone
        for format in ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"] {
            local.dateFormat = format
            if let date = local.date(from: trimmed) { return date }
        }
        throw CSIRTError(.input, "\(what) \"\(text)\" is not a time (use 2026-11-23T09:30:00+09:00, or 2026-11-23 09:30 in the local zone)")
    }

    /// RFC 3339 in `zone` (the local zone for people, UTC for machines).
    public static func format(_ date: Date, zone: TimeZone = .current) -> String {
        RFC3339.format(date, offsetSeconds: zone.secondsFromGMT(for: date))
    }
}
