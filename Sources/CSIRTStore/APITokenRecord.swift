import Foundation
import GRDB

/// An API token as stored: its name, role and the SHA-256 of the secret (never the secret).
public struct APITokenRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "apiToken"

    public var name: String
    public var role: String
    /// Lowercase hex SHA-256 of the whole token string.
    public var tokenHash: String
    public var createdAt: Date
    public var createdBy: String
    public var revokedAt: Date?
    public var revokedBy: String?

    public init(name: String, role: String, tokenHash: String, createdAt: Date, createdBy: String, revokedAt: Date? = nil, revokedBy: String? = nil) {
        self.name = name
        self.role = role
        self.tokenHash = tokenHash
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.revokedAt = revokedAt
        self.revokedBy = revokedBy
    }
}
