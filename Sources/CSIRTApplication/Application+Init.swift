import AuditLog
import CanonicalJSON
import CSIRTCrypto
import CSIRTStore
import Foundation

/// What `csirt init` did.
public struct InitOutcome: Sendable {
    public var home: CSIRTHome
    public var created: Bool
    public var keyID: String
    public var algorithm: KeyAlgorithm
    public var generatedKey: Bool
}

extension Application {
    /// Copies the playbooks and policies csirt ships into `HOME/playbooks` and `HOME/policies`
    /// (once), where a site adapts them and where an installed binary finds them.
    static func copyShippedPlaybooks(into home: CSIRTHome) throws(CSIRTError) {
        try copyShipped(from: PlaybookCatalog.shippedDirectory, to: home.root + "/playbooks", what: "playbooks")
        try copyShipped(from: PolicyCatalog.shippedDirectory, to: home.root + "/policies", what: "policies")
    }

    private static func copyShipped(from source: String, to target: String, what: String) throws(CSIRTError) {
        guard !FileManager.default.fileExists(atPath: target), FileManager.default.fileExists(atPath: source) else { return }
        do {
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: source) where name.hasSuffix(".yaml") {
                try FileManager.default.copyItem(atPath: source + "/" + name, toPath: target + "/" + name)
            }
        } catch {
            throw CSIRTError(.input, "\(target): cannot copy the shipped \(what): \(error.localizedDescription)")
        }
    }

    /// Creates the home (database, `keys/`, `audit/`), the signing key and the audit log whose first
    /// entry is `init`. Idempotent: on an initialised home it changes nothing and never touches a
    /// key. A home whose audit log has gone missing is refused rather than given a new chain.
    public static func initialize(home: CSIRTHome, signingKeyPath: String?, actor: String,
                                  clock: @escaping @Sendable () -> Date = Date.init) throws(CSIRTError) -> InitOutcome {
        let supplied = try signingKeyPath.map { path throws(CSIRTError) in try KeyStore.loadPrivateKey(path: path) }
        for (path, mode) in [(home.root, 0o700), (home.keysDirectory, 0o700), (home.auditDirectory, 0o750)] as [(String, Int)] {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
            } catch {
                throw CSIRTError(.input, "\(path): cannot create the directory: \(error.localizedDescription)")
            }
        }
        let database = try mapErrors { try AppDatabase.open(path: home.databasePath) }
        let app = Application(home: home, database: database, clock: clock)
        try copyShippedPlaybooks(into: home)
        return try mapErrors {
            try database.write { db in
                let logExists = FileManager.default.fileExists(atPath: home.auditLogPath)
                if let active = try SigningKeyRecord.active(db) {
                    if let supplied, supplied.publicKey.keyID != active.keyID {
                        throw CSIRTError(.input, "\(home.root) is already initialised with signing key \(active.keyID.prefix(16))…; csirt never overwrites a key — use `csirt audit rotate-key --signing-key \(signingKeyPath!)`")
                    }
                    if try Setting.value(Setting.auditOrigin, db) != nil {
                        guard logExists else {
                            throw CSIRTError(.input, "\(home.auditLogPath): the audit log is missing; restore it from a backup (csirt never starts a new chain silently)")
                        }
                        return InitOutcome(home: home, created: false, keyID: active.keyID,
                                           algorithm: KeyAlgorithm(rawValue: active.algorithm) ?? .ed25519, generatedKey: false)
                    }
                }
                guard !logExists else {
                    throw CSIRTError(.input, "\(home.auditLogPath): an audit log exists but the database does not know it; csirt will not adopt or replace it")
                }
                let key = try supplied ?? (try SigningKeyRecord.active(db)).map { try app.keyStore.activePrivateKey(keyID: $0.keyID) } ?? PrivateKey.generateEd25519()
                try app.keyStore.store(key)
                let now = RFC3339.format(clock())
                if try SigningKeyRecord.active(db) == nil {
                    try SigningKeyRecord(keyID: key.publicKey.keyID, algorithm: key.algorithm.rawValue, publicKeyPEM: key.publicKey.pem,
                                         status: .active, createdAt: now).insert(db)
                }
                let draft = AuditEntryDraft(actor: actor, action: "init", target: "home", details: [
                    "format": "csirt-audit/v1",
                    "keyid": .string(key.publicKey.keyID),
                    "alg": .string(key.algorithm.rawValue),
                    // Makes every log's first line, and so its origin, unique.
                    "nonce": .string(Hex.encode(try RandomBytes.generate(16))),
                ])
                let receipt = try AuditLogWriter.create(path: home.auditLogPath, initDraft: draft, signer: key, time: now)
                try Setting.set(Setting.auditOrigin, receipt.checkpoints[0].origin.hex, db)
                try Application.recordAuditPosition(receipt.position, db)
                return InitOutcome(home: home, created: true, keyID: key.publicKey.keyID, algorithm: key.algorithm, generatedKey: supplied == nil)
            }
        }
    }
}
