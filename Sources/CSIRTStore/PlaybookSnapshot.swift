import CSIRTCrypto
import GRDB

/// The playbooks incidents were planned with, as JSON, each kept once and named by the SHA-256
/// of its text. An incident names its snapshot by that digest: every incident of a playbook
/// version shares one row instead of carrying kilobytes of its own.
public enum PlaybookSnapshot {
    public static let databaseTableName = "playbookSnapshot"

    /// The name of a snapshot: lowercase hex SHA-256 of its UTF-8 text.
    public static func digest(_ json: String) -> String {
        Hex.encode(SHA256.hash(json))
    }

    /// Stores a snapshot unless it is already there (call inside the write transaction, before
    /// the incident that names it). An existing snapshot is left alone: same digest, same text.
    public static func save(digest: String, json: String, _ db: Database) throws {
        // Almost always there already (one snapshot per playbook version): look before binding its text.
        var known = false
        try db.cachedStatement(sql: "SELECT 1 FROM playbookSnapshot WHERE digest = ?").eachRow({ $0.text(digest) }) { _ in known = true }
        guard !known else { return }
        try db.cachedStatement(sql: "INSERT INTO playbookSnapshot (digest, json) VALUES (?, ?) ON CONFLICT (digest) DO NOTHING")
            .run { $0.text(digest); $0.text(json) }
    }

    /// The snapshot's text, checked against its digest; nil when there is no such snapshot.
    public static func json(digest: String, _ db: Database) throws -> String? {
        guard let json = try String.fetchOne(db.cachedStatement(sql: "SELECT json FROM playbookSnapshot WHERE digest = ?"), arguments: [digest]) else {
            return nil
        }
        guard Self.digest(json) == digest else {
            throw DatabaseError(message: "playbook snapshot \(digest.prefix(12)): its text no longer matches its digest; the database was altered")
        }
        return json
    }
}
