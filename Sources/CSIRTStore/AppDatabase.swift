import Foundation
import GRDB

/// The csirt database: one SQLite file in WAL mode, owned by this type together with its
/// migrations. Every write runs in an IMMEDIATE transaction, so a process takes the database's
/// write lock before the audit log's lock — always in that order, so two processes never deadlock.
public struct AppDatabase: Sendable {
    public let writer: any DatabaseWriter

    public init(_ writer: any DatabaseWriter) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
    }

    /// Opens (or creates) the database file at `path` in WAL mode.
    public static func open(path: String) throws -> AppDatabase {
        var config = Configuration()
        // Other csirt processes (cron jobs, the API server) may hold the write lock briefly.
        config.busyMode = .timeout(10)
        config.foreignKeysEnabled = true
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
}
