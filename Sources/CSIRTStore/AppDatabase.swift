import Foundation
import GRDB

/// The csirt database: one SQLite file in WAL mode, owned by this type together with its
/// migrations. Every write runs in an IMMEDIATE transaction, so a process takes the database's
/// write lock before the audit log's lock — always in that order, so two processes never deadlock.
public struct AppDatabase: Sendable {
    public let writer: any DatabaseWriter
    /// The connection for per-request lookups (nil for a store without a file).
    let lookups: LookupConnection?

    public init(_ writer: any DatabaseWriter) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
        lookups = writer.path == ":memory:" || writer.path.isEmpty ? nil : LookupConnection(path: writer.path)
    }

    static let walAutocheckpointPages = 100

    /// Opens (or creates) the database file at `path` in WAL mode.
    public static func open(path: String) throws -> AppDatabase {
        var config = Configuration()
        // Other csirt processes (cron jobs, the API server) may hold the write lock briefly.
        config.busyMode = .timeout(10)
        config.foreignKeysEnabled = true
        // Statement journals (each change of a group commit runs in a savepoint) stay in memory
        // instead of a temporary file created, written and unlinked for every batch.
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // The commit that fills the WAL past this many pages copies them back into the
            // database and syncs it, while every change queued behind it waits. SQLite's default
            // of 1000 pages made that a stall of several batches under load (POST's p99 went with
            // it); 100 pages keep each checkpoint about as long as one batch.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.walAutocheckpointPages)")
        }
        let pool = try DatabasePool(path: path, configuration: config)
        return try AppDatabase(pool)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-home") { db in
            try db.create(table: "setting") { t in
                t.primaryKey("name", .text)
                t.column("value", .text).notNull()
            }
            try db.create(table: "signingKey") { t in
                t.primaryKey("keyID", .text)
                t.column("algorithm", .text).notNull()
                t.column("publicKeyPEM", .text).notNull()
                t.column("status", .text).notNull().indexed()
                t.column("createdAt", .text).notNull()
                t.column("retiredAt", .text)
            }
        }
        migrator.registerMigration("v2-incidents") { db in
            try db.create(table: "incident") { t in
                t.primaryKey("id", .text)
                t.column("year", .integer).notNull()
                t.column("number", .integer).notNull()
                t.column("title", .text).notNull()
                t.column("description", .text).notNull()
                t.column("category", .text).notNull()
                t.column("severity", .integer).notNull()
                t.column("segment", .text).notNull()
                t.column("assets", .jsonText).notNull()
                t.column("personalData", .jsonText)
                t.column("reporter", .text).notNull()
                t.column("assignee", .text)
                t.column("status", .text).notNull()
                t.column("detectedAt", .datetime).notNull()
                t.column("reportedAt", .datetime).notNull()
                t.column("containedAt", .datetime)
                t.column("recoveredAt", .datetime)
                t.column("closedAt", .datetime)
                t.column("tags", .jsonText).notNull()
                t.column("playbookID", .text)
                t.column("playbook", .jsonText)
                t.column("phaseEnteredAt", .jsonText).notNull()
                t.column("version", .integer).notNull()
                t.uniqueKey(["year", "number"])
            }
            // The filters of `csirt incident list`.
            try db.create(index: "incident_status", on: "incident", columns: ["status", "detectedAt"])
            try db.create(index: "incident_severity", on: "incident", columns: ["severity"])
            try db.create(index: "incident_category", on: "incident", columns: ["category"])
            try db.create(index: "incident_segment", on: "incident", columns: ["segment"])
            try db.create(index: "incident_assignee", on: "incident", columns: ["assignee"])
            try db.create(index: "incident_detectedAt", on: "incident", columns: ["detectedAt"])
            try db.create(table: "incidentEvent") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("incidentID", .text).notNull().references("incident").indexed()
                t.column("time", .datetime).notNull()
                t.column("author", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("text", .text).notNull()
            }
            try db.create(table: "incidentTask") { t in
                t.column("incidentID", .text).notNull().references("incident")
                t.column("taskID", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("phase", .text)
                t.column("titleJa", .text).notNull()
                t.column("titleEn", .text).notNull()
                t.column("owner", .text).notNull()
                t.column("required", .boolean).notNull()
                t.column("evidenceRequired", .boolean).notNull()
                t.column("dueAt", .datetime)
                t.column("state", .text).notNull()
                t.column("evidence", .text)
                t.column("reason", .text)
                t.column("completedAt", .datetime)
                t.column("completedBy", .text)
                t.column("position", .integer).notNull()
                t.primaryKey(["incidentID", "taskID"])
            }
            // `csirt incident overdue`: open tasks by due time.
            try db.create(index: "incidentTask_open_due", on: "incidentTask", columns: ["state", "dueAt"])
        }
        migrator.registerMigration("v3-segmentation") { db in
            try db.create(table: "segmentationRun") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("site", .text).notNull()
                t.column("siteFile", .text).notNull()
                t.column("policyID", .text).notNull()
                t.column("model", .text).notNull()
                t.column("checkedAt", .datetime).notNull().indexed()
                t.column("compliant", .boolean).notNull()
                t.column("violations", .integer).notNull()
                t.column("warnings", .integer).notNull()
                // JSON: the files read and their SHA-256, so a run can be tied to the exact configs.
                t.column("inputs", .text).notNull()
                // JSON: the whole result as `csirt check segmentation --format json` prints it.
                t.column("report", .text).notNull()
            }
            try db.create(table: "segmentationFinding") { t in
                t.column("runID", .integer).notNull().references("segmentationRun", onDelete: .cascade)
                t.column("ordinal", .integer).notNull()
                t.column("kind", .text).notNull()
                t.column("level", .text).notNull()
                t.column("ruleID", .text)
                t.column("severity", .text)
                t.column("firewall", .text)
                t.column("file", .text).notNull()
                t.column("line", .integer).notNull()
                t.column("ruleText", .text)
                t.column("witness", .text)
                t.column("message", .text).notNull()
                t.primaryKey(["runID", "ordinal"])
            }
            try db.create(index: "segmentationFinding_rule", on: "segmentationFinding", columns: ["ruleID"])
        }
        migrator.registerMigration("v4-tokens") { db in
            // API bearer tokens: only the SHA-256 of each token is kept.
            try db.create(table: "apiToken") { t in
                t.primaryKey("name", .text)
                t.column("role", .text).notNull()
                t.column("tokenHash", .text).notNull().unique()
                t.column("createdAt", .datetime).notNull()
                t.column("createdBy", .text).notNull()
                t.column("revokedAt", .datetime)
                t.column("revokedBy", .text)
            }
        }
        migrator.registerMigration("v5-playbook-snapshots") { db in
            // Until v5 every incident row carried its own copy of its playbook (about 10 KB):
            // most of the database, and most of what each new incident wrote. Each distinct
            // snapshot now lives once, named by its SHA-256.
            try db.create(table: PlaybookSnapshot.databaseTableName) { t in
                t.primaryKey("digest", .text)
                t.column("json", .text).notNull()
            }
            try db.execute(sql: "ALTER TABLE incident ADD COLUMN playbookDigest TEXT REFERENCES playbookSnapshot(digest)")
            // Read first, then write: no update while a cursor walks the same table.
            var digests: [String: String] = [:]
            var pairs: [(id: String, digest: String)] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT id, playbook FROM incident WHERE playbook IS NOT NULL")
            while let row = try rows.next() {
                let json: String = row[1]
                let digest = digests[json] ?? PlaybookSnapshot.digest(json)
                if digests[json] == nil {
                    digests[json] = digest
                    try PlaybookSnapshot.save(digest: digest, json: json, db)
                }
                pairs.append((row[0], digest))
            }
            let update = try db.makeStatement(sql: "UPDATE incident SET playbookDigest = ? WHERE id = ?")
            for pair in pairs { try update.execute(arguments: [pair.digest, pair.id]) }
            try db.execute(sql: "ALTER TABLE incident DROP COLUMN playbook")
        }
        return migrator
    }

    /// Runs `body` in an IMMEDIATE transaction; a thrown error rolls everything back.
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.read(body)
    }

    /// One row of a one-statement lookup, through the store's own lookup connection (see
    /// `LookupConnection`), or GRDB's pool for a store without a file. nil when there is no row.
    public func lookup<T>(_ sql: String, _ arguments: [String], _ read: (any LookupRow) throws -> T) throws -> T? {
        if let lookups { return try lookups.row(sql, arguments, read) }
        // One statement needs no transaction: SQLite runs a lone SELECT atomically on its own.
        return try writer.unsafeRead { db in
            try Row.fetchOne(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments)).map { try read(GRDBLookupRow(row: $0)) }
        }
    }
}
