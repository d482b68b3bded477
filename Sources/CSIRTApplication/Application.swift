import AuditLog
import CSIRTCrypto
import CSIRTStore
import Foundation
import GRDB

extension Application {
    /// Where csirt's last committed write left the audit log.
    static func auditPosition(_ db: Database) throws -> LogPosition? {
        guard let text = try Setting.value(Setting.auditPosition, db) else { return nil }
        return try JSONDecoder().decode(LogPosition.self, from: Data(text.utf8))
    }

    static func recordAuditPosition(_ position: LogPosition, _ db: Database) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try Setting.set(Setting.auditPosition, String(decoding: try encoder.encode(position), as: UTF8.self), db)
    }
}

/// The one application layer: every CLI command (and every HTTP route) calls these operations,
/// so that a change runs the same code and writes the same audit entry whichever way it came in.
public final class Application: Sendable {
    public let home: CSIRTHome
    public let database: AppDatabase
    let clock: @Sendable () -> Date
    let writes = WriteQueue()
    /// Live tokens by the hash of their secret, valid while the store does not change (a revocation
    /// is a change, so it takes effect on the next request).
    let tokenCache = GenerationCache<String, APITokenRecord>(limit: 256)

    init(home: CSIRTHome, database: AppDatabase, clock: @escaping @Sendable () -> Date) {
        self.home = home
        self.database = database
        self.clock = clock
    }

    /// Opens an initialised home.
    public static func open(home: CSIRTHome, clock: @escaping @Sendable () -> Date = Date.init) throws(CSIRTError) -> Application {
        guard home.exists else {
            throw CSIRTError(.input, "\(home.root): no csirt home here; run `csirt init` (or pass --home / set CSIRT_HOME)")
        }
        let database = try mapErrors { try AppDatabase.open(path: home.databasePath) }
        return Application(home: home, database: database, clock: clock)
    }

    var keyStore: KeyStore { KeyStore(home: home) }
    var auditLog: AuditLogWriter { AuditLogWriter(path: home.auditLogPath) }

    /// What one mutation changes, and how the audit log describes it.
    struct Mutation<Value> {
        var value: Value
        var entry: AuditEntryDraft
    }

    /// Runs `change` in a database transaction and appends its audit entry and checkpoint before
    /// committing. If the append fails the transaction rolls back: nothing is half-written.
    /// Changes made at the same moment by other threads share the transaction and the checkpoint
    /// (group commit, see `WriteQueue`), each with its own savepoint and its own audit entry.
    /// `extraSigners` seal the entry too (a key rotation is sealed by the new key as well).
    func perform<Value>(extraSigners: [PrivateKey] = [], _ change: (Database) throws -> Mutation<Value>) throws(CSIRTError) -> (Value, AppendReceipt) {
        var value: Value?
        let result: Result<AppendReceipt, CSIRTError> = withoutActuallyEscaping(change) { change in
            // The closure runs before `run` returns (on this thread or the batch writer's), never later.
            let job = WriteQueue.Job(work: { db in
                let mutation = try change(db)
                value = mutation.value
                return mutation.entry
            }, extraSigners: extraSigners)
            writes.run(job, write: write)
            return job.result ?? .failure(CSIRTError(.input, "internal error: a write finished without a result"))
        }
        let receipt = try result.get()
        guard let value else { throw CSIRTError(.input, "internal error: a write finished without a value") }
        return (value, receipt)
    }

}
