import AuditLog
import CSIRTCrypto
import CSIRTStore
import Foundation
import GRDB

/// A token as listed: never its secret.
public struct APITokenInfo: Sendable, Equatable {
    public var name: String
    public var role: APIRole
    public var createdAt: Date
    public var createdBy: String
    public var revokedAt: Date?
}

extension APITokenInfo {
    init(_ record: APITokenRecord) {
        self.init(name: record.name, role: APIRole(rawValue: record.role) ?? .auditor, createdAt: record.createdAt, createdBy: record.createdBy,
                  revokedAt: record.revokedAt)
    }
}

extension Application {
    /// Tokens look like `csirt_` and 64 hex digits: 256 random bits, and a prefix that secret
    /// scanners and people recognise.
    static let tokenPrefix = "csirt_"

    /// Why `name` cannot name a token, or nil when it can. Names made of dots only are refused:
    /// `.` and `..` do not survive in a URL path (`DELETE /v1/tokens/{name}`).
    public static func tokenNameProblem(_ name: String) -> String? {
        let allowed = name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d || $0 == 0x2e || $0 == 0x5f }
        guard !name.isEmpty, name.count <= 64, allowed, name.contains(where: { $0 != "." }) else {
            return "token name \"\(name)\" must be 1–64 lowercase letters, digits, '-', '.' or '_', not dots only"
        }
        return nil
    }

    static func validateTokenName(_ name: String) throws(CSIRTError) {
        if let problem = tokenNameProblem(name) { throw CSIRTError(.input, problem) }
    }

    /// Creates a token and returns its secret, which is shown this once and stored only as a hash.
    public func createToken(name: String, role: APIRole, actor: String) throws(CSIRTError) -> String {
        try Self.validateTokenName(name)
        let secret = Self.tokenPrefix + Hex.encode(try mapErrors { try RandomBytes.generate(32) })
        let hash = Hex.encode(SHA256.hash(secret))
        let now = clock()
        _ = try perform { db in
            if try APITokenRecord.fetchOne(db, key: name) != nil {
                throw CSIRTError(.conflict, "a token named \(name) exists (names are never reused, even once revoked)")
            }
            try APITokenRecord(name: name, role: role.rawValue, tokenHash: hash, createdAt: now, createdBy: actor).insert(db)
            return Mutation(value: (), entry: AuditEntryDraft(actor: actor, action: "token.create", target: "token/\(name)",
                                                              details: ["role": .string(role.rawValue)]))
        }
        return secret
    }

    /// Revokes the token and returns it as it now stands.
    @discardableResult
    public func revokeToken(name: String, actor: String) throws(CSIRTError) -> APITokenInfo {
        let now = clock()
        let (revoked, _) = try perform { db in
            guard var record = try APITokenRecord.fetchOne(db, key: name) else { throw CSIRTError(.notFound, "no token named \(name)") }
            guard record.revokedAt == nil else { throw CSIRTError(.conflict, "token \(name) is already revoked") }
            record.revokedAt = now
            record.revokedBy = actor
            try record.update(db)
            return Mutation(value: APITokenInfo(record), entry: AuditEntryDraft(actor: actor, action: "token.revoke", target: "token/\(name)",
                                                                details: ["role": .string(record.role)]))
        }
        return revoked
    }

    public func tokens() throws(CSIRTError) -> [APITokenInfo] {
        try mapErrors {
            try database.read { db in
                try APITokenRecord.order(Column("name")).fetchAll(db).map(APITokenInfo.init)
            }
        }
    }

    /// The live token a bearer secret belongs to, or nil. The secret is hashed and the stored hash
    /// compared in constant time, so neither the lookup nor the comparison tells how close a guess was.
    public func authenticate(bearer secret: String) throws(CSIRTError) -> APITokenInfo? {
        try authenticate(bearer: secret, at: nil)
    }

    /// The same, for a caller that has just read the store's generation (`generation()`): a token
    /// seen at that generation is not looked up again. Only live tokens are remembered, so a
    /// stream of wrong guesses cannot fill the cache. Without a generation it is looked up.
    public func authenticate(bearer secret: String, at generation: StoreGeneration?) throws(CSIRTError) -> APITokenInfo? {
        guard secret.hasPrefix(Self.tokenPrefix), secret.utf8.count == Self.tokenPrefix.utf8.count + 64 else { return nil }
        let hash = Hex.encode(SHA256.hash(secret))
        var record = generation.flatMap { tokenCache.value(hash, at: $0) }
        if record == nil {
            record = try mapErrors {
                try database.lookup("SELECT name, role, tokenHash, createdAt, createdBy, revokedAt, revokedBy FROM apiToken WHERE tokenHash = ?",
                                    [hash]) { row in
                    guard let name = row.text(0), let role = row.text(1), let tokenHash = row.text(2), let createdText = row.text(3),
                          let createdAt = StoredTime.date(createdText) ?? Date.fromDatabaseValue(createdText.databaseValue),
                          let createdBy = row.text(4) else {
                        throw CSIRTError(.unavailable, "a stored API token is damaged")
                    }
                    let revokedAt = row.text(5).map { StoredTime.date($0) ?? Date.fromDatabaseValue($0.databaseValue) ?? .distantPast }
                    return APITokenRecord(name: name, role: role, tokenHash: tokenHash, createdAt: createdAt, createdBy: createdBy,
                                          revokedAt: revokedAt, revokedBy: row.text(6))
                }
            }
            if let record, record.revokedAt == nil, let generation { tokenCache.store(record, for: hash, at: generation) }
        }
        guard let record, Self.constantTimeEqual(Array(record.tokenHash.utf8), Array(hash.utf8)), record.revokedAt == nil,
              let role = APIRole(rawValue: record.role) else { return nil }
        return APITokenInfo(name: record.name, role: role, createdAt: record.createdAt, createdBy: record.createdBy, revokedAt: nil)
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
