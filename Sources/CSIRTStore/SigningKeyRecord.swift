import GRDB

/// A key that signs (or signed) audit checkpoints. The private key lives in `keys/` (mode 0600)
/// while the key is active; the public key is kept here and in `keys/` for good.
public struct SigningKeyRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public enum Status: String, Codable, Sendable {
        case active
        case retired
    }

    public static let databaseTableName = "signingKey"

    public var keyID: String
    public var algorithm: String
    public var publicKeyPEM: String
    public var status: Status
    public var createdAt: String
    public var retiredAt: String?

    public init(keyID: String, algorithm: String, publicKeyPEM: String, status: Status, createdAt: String, retiredAt: String? = nil) {
        self.keyID = keyID
        self.algorithm = algorithm
        self.publicKeyPEM = publicKeyPEM
        self.status = status
        self.createdAt = createdAt
        self.retiredAt = retiredAt
    }

    public static func active(_ db: Database) throws -> SigningKeyRecord? {
        try SigningKeyRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM signingKey WHERE status = ?"), arguments: [Status.active.rawValue])
    }

    public static func all(_ db: Database) throws -> [SigningKeyRecord] {
        try SigningKeyRecord.order(Column.rowID).fetchAll(db)
    }
}
