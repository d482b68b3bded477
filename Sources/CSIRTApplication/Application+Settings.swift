import AuditLog
import CSIRTStore
import Foundation
import GRDB

extension Application {
    /// A read that proves the store answers (`/healthz`).
    public func ping() throws(CSIRTError) {
        _ = try mapErrors { try database.read { db in try Int.fetchOne(db, sql: "SELECT 1") } }
    }

    /// Every setting with its current value (nil: the default).
    public func settings() throws(CSIRTError) -> [(key: SettingKey, value: String?, defaultValue: String)] {
        try mapErrors {
            try database.read { db in
                try SettingKey.allCases.map { ($0, try Setting.value($0.rawValue, db), $0.defaultValue) }
            }
        }
    }

    /// Changes a setting; one audit entry. Existing incidents' open deadlines follow the new
    /// setting at their next change (every change recomputes what is not done yet).
    public func setSetting(_ name: String, to value: String, actor: String) throws(CSIRTError) {
        guard let key = SettingKey(rawValue: name) else {
            throw CSIRTError(.input, "unknown setting \"\(name)\" (known: \(SettingKey.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        try key.validate(value)
        _ = try perform { db in
            let previous = try Setting.value(key.rawValue, db)
            try Setting.set(key.rawValue, value, db)
            return Mutation(value: (), entry: AuditEntryDraft(actor: actor, action: "config.set", target: key.rawValue,
                                                              details: ["value": .string(value), "previous": previous.map { .string($0) } ?? .null]))
        }
    }
}

extension SettingKey {
    public var defaultValue: String {
        switch self {
        case .ppcPreliminaryDays: return "3"
        case .legalTimeZone: return "Asia/Tokyo"
        case .tsaURL: return ""
        }
    }

    func validate(_ value: String) throws(CSIRTError) {
        switch self {
        case .ppcPreliminaryDays:
            guard let days = Int(value), (1...30).contains(days) else { throw CSIRTError(.input, "\(rawValue) takes a number of days from 1 to 30") }
        case .legalTimeZone:
            guard TimeZone(identifier: value) != nil else { throw CSIRTError(.input, "\(rawValue): unknown time zone \"\(value)\" (e.g. Asia/Tokyo)") }
        case .tsaURL:
            guard value.hasPrefix("http://") || value.hasPrefix("https://"), value.count <= 2_048 else {
                throw CSIRTError(.input, "\(rawValue) takes an http:// or https:// URL of an RFC 3161 Time-Stamping Authority")
            }
        }
    }
}
