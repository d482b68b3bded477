import GRDB

/// Small facts about the home that must survive as long as the database, e.g. the audit log's
/// origin (so that a deleted log is noticed instead of silently started again).
public struct Setting: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "setting"
    public static let auditOrigin = "audit.origin"
    /// Where csirt's last write left the audit log (JSON `LogPosition`), in the same transaction as the change.
    public static let auditPosition = "audit.position"

    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    // Cached statements: every change reads and writes the audit position.
    public static func value(_ name: String, _ db: Database) throws -> String? {
        var value: String?
        try db.cachedStatement(sql: "SELECT value FROM setting WHERE name = ?").eachRow({ $0.text(name) }) { value = $0.text(0) }
        return value
    }

    public static func set(_ name: String, _ value: String, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO setting (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value")
            .run { $0.text(name); $0.text(value) }
    }
}
