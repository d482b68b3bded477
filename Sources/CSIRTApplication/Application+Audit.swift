import AuditLog
import CanonicalJSON
import CSIRTCrypto
import CSIRTStore
import Foundation

/// A signing key as `csirt audit keys` lists it.
public struct SigningKeyInfo: Sendable {
    public var keyID: String
    public var algorithm: String
    public var status: SigningKeyRecord.Status
    public var createdAt: String
    public var retiredAt: String?
    public var publicKeyPath: String
    /// From the audit log: how many checkpoints it signed and the seq range they sealed.
    public var usage: VerificationReport.KeyUsage?
    /// From the audit log: the `audit.rotate-key` entry that retired it (nothing it signs after that seq counts).
    public var retirement: VerificationReport.Rotation?
}

public struct RotationOutcome: Sendable {
    public var oldKeyID: String
    public var newKeyID: String
    public var algorithm: KeyAlgorithm
    public var receipt: AppendReceipt
}

extension Application {
    /// Records a free-text statement (where a checkpoint copy was stored, an auditor's visit…).
    public func recordNote(actor: String, text: String) throws(CSIRTError) -> AppendReceipt {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw CSIRTError(.input, "the note is empty") }
        guard text.utf8.count <= 65_536 else { throw CSIRTError(.input, "the note is \(text.utf8.count) bytes; the limit is 64 KiB") }
        return try perform { _ in
            Mutation(value: (), entry: AuditEntryDraft(actor: actor, action: "audit.note", target: "audit-log", details: ["text": .string(text)]))
        }.1
    }

    /// The API server's start and stop (`server.start`, `server.stop`): each entry comes with its
    /// checkpoint, so the stop entry seals everything the server wrote before it.
    public func recordServerEvent(_ action: String, actor: String, details: [String: JSONValue]) throws(CSIRTError) -> AppendReceipt {
        try perform { _ in
            Mutation(value: (), entry: AuditEntryDraft(actor: actor, action: action, target: "server", details: details))
        }.1
    }

    /// Makes a new key (or `signingKeyPath`) the signing key. The rotation entry is sealed by the
    /// old key and the new key; the old private key is then deleted, its public key kept.
    public func rotateKey(actor: String, signingKeyPath: String?) throws(CSIRTError) -> RotationOutcome {
        let newKey: PrivateKey
        if let signingKeyPath {
            newKey = try KeyStore.loadPrivateKey(path: signingKeyPath)
        } else {
            newKey = try mapErrors { try PrivateKey.generateEd25519() }
        }
        // Only the private key file is removed on failure: if the log append reached the disk before the
        // database failed, a checkpoint already names the new public key, and verification needs it.
        let newFiles = [home.privateKeyPath(keyID: newKey.publicKey.keyID)].filter { !FileManager.default.fileExists(atPath: $0) }
        let oldKeyID: String, receipt: AppendReceipt
        do {
            (oldKeyID, receipt) = try rotate(to: newKey, signingKeyPath: signingKeyPath, actor: actor)
        } catch {
            // Nothing half-written: the new private key goes with the rolled-back rotation.
            for path in newFiles { unlink(path) }
            throw error
        }
        // Only after the rotation is committed and sealed: a retired private key must not linger.
        keyStore.removePrivateKey(keyID: oldKeyID)
        return RotationOutcome(oldKeyID: oldKeyID, newKeyID: newKey.publicKey.keyID, algorithm: newKey.algorithm, receipt: receipt)
    }

    /// Returns the retired key's id and what the log recorded.
    private func rotate(to newKey: PrivateKey, signingKeyPath: String?, actor: String) throws(CSIRTError) -> (String, AppendReceipt) {
        try perform(extraSigners: [newKey]) { db in
            guard let old = try SigningKeyRecord.active(db) else { throw CSIRTError(.input, "no active signing key; run `csirt init`") }
            guard old.keyID != newKey.publicKey.keyID else {
                throw CSIRTError(.input, "\(signingKeyPath ?? "the new key") is already the active signing key")
            }
            guard try SigningKeyRecord.fetchOne(db, key: newKey.publicKey.keyID) == nil else {
                throw CSIRTError(.input, "\(signingKeyPath ?? "the new key") was used before (key \(newKey.publicKey.keyID.prefix(16))…); a retired key is not used again")
            }
            try keyStore.store(newKey)
            let now = RFC3339.format(clock())
            var retired = old
            retired.status = .retired
            retired.retiredAt = now
            try retired.update(db)
            try SigningKeyRecord(keyID: newKey.publicKey.keyID, algorithm: newKey.algorithm.rawValue, publicKeyPEM: newKey.publicKey.pem,
                                 status: .active, createdAt: now).insert(db)
            return Mutation(value: old.keyID, entry: AuditEntryDraft(actor: actor, action: "audit.rotate-key", target: "signing-key", details: [
                "old_keyid": .string(old.keyID),
                "new_keyid": .string(newKey.publicKey.keyID),
                "new_alg": .string(newKey.algorithm.rawValue),
            ]))
        }
    }

    /// Every key the home has used, with the checkpoints each signed in the audit log.
    public func signingKeys() throws(CSIRTError) -> (keys: [SigningKeyInfo], logProblem: IntegrityFailure?) {
        let records = try mapErrors { try database.read { try SigningKeyRecord.all($0) } }
        let report = try verifyAuditLog()
        let usage = Dictionary(report.keys.map { ($0.keyID, $0) }, uniquingKeysWith: { a, _ in a })
        let keys = records.map { record in
            SigningKeyInfo(keyID: record.keyID, algorithm: record.algorithm, status: record.status, createdAt: record.createdAt,
                           retiredAt: record.retiredAt, publicKeyPath: home.publicKeyPath(keyID: record.keyID), usage: usage[record.keyID],
                           retirement: report.rotations.first { $0.oldKeyID == record.keyID })
        }
        return (keys, report.failure)
    }
}
