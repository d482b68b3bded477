import AuditLog
import CanonicalJSON
import CSIRTApplication
import CSIRTCrypto
import Foundation
import TestSupport
import XCTest

/// A crash between the audit log's fsync and the database's commit leaves sealed lines the
/// database never held. They stay (append-only); the next write voids them. Here the crash is
/// made exactly: the batch is appended with the home's own key, as the writer does, and the
/// database is left as it was. (EndToEndTests/CrashRecoveryTests kills real servers instead.)
final class RecoveryTests: XCTestCase {
    var directory: TemporaryDirectory!
    var home: CSIRTHome!
    var app: Application!

    override func setUpWithError() throws {
        directory = TemporaryDirectory()
        home = CSIRTHome(root: directory.file("home"))
        _ = try Application.initialize(home: home, signingKeyPath: nil, actor: "setup")
        app = try Application.open(home: home)
        _ = try app.recordNote(actor: "tanaka", text: "before")
    }

    /// The position csirt's database holds now: the log as its last committed write left it.
    func committedPosition() throws -> LogPosition {
        let latest = try AuditVerification.latestCheckpoint(home: home, logPath: nil)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: home.auditLogPath)[.size] as? NSNumber).intValue
        return LogPosition(bytes: size, head: Digest(hashing: Array(latest.line.utf8) + [0x0a]).hex,
                           origin: latest.checkpoint.origin.hex, lastSeq: latest.checkpoint.size, checkpoints: latest.checkpoint.number)
    }

    func privateKey(_ keyID: String) throws -> PrivateKey {
        let path = home.privateKeyPath(keyID: keyID)
        return try PrivateKey(pem: [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: path))), source: path)
    }

    func activeKey() throws -> PrivateKey {
        let (keys, _) = try app.signingKeys()
        return try privateKey(try XCTUnwrap(keys.first { $0.status == .active }).keyID)
    }

    /// Appends a sealed batch to the log without the database: what a crash after the fsync leaves.
    @discardableResult
    func crashAfterFsync(_ drafts: [AuditEntryDraft], signers: [PrivateKey]) throws -> AppendReceipt {
        try AuditLogWriter(path: home.auditLogPath).append(drafts, signers: signers, time: "2026-12-04T01:00:00Z", expecting: try committedPosition())
    }

    func entries() -> [AuditEntry] {
        LogFixtures.lines(of: home.auditLogPath).compactMap { try? AuditEntry.parse($0) }
    }

    func testSealedBatchTheDatabaseNeverCommittedStaysAndIsVoided() throws {
        let lost = try crashAfterFsync([AuditEntryDraft(actor: "tanaka", action: "audit.note", target: "audit-log", details: ["text": "lost 1"]),
                                        AuditEntryDraft(actor: "tanaka", action: "audit.note", target: "audit-log", details: ["text": "lost 2"])],
                                       signers: [try activeKey()])
        XCTAssertEqual(lost.entries.map(\.seq), [3, 4])
        // An anchor taken in between: the crashed batch's checkpoint.
        let anchorLine = try AuditVerification.latestCheckpoint(home: home, logPath: nil).line
        let anchor = directory.write("anchor.txt", anchorLine + "\n")

        // Verify sees intact lines the database does not hold, and says so.
        let before = try app.verifyAuditLog()
        XCTAssertNil(before.failure, "\(String(describing: before.failure))")
        XCTAssertEqual(before.unrecorded?.fromSeq, 3)
        XCTAssertEqual(before.unrecorded?.toSeq, 4)

        let after = try app.recordNote(actor: "suzuki", text: "after")
        XCTAssertEqual(after.recoveries.map(\.action), ["audit.void"])
        XCTAssertEqual(after.recoveries[0].details["from_seq"], 3)
        XCTAssertEqual(after.recoveries[0].details["to_seq"], 4)
        XCTAssertEqual(after.recoveries[0].details["reason"], "not-committed")
        XCTAssertEqual(after.entries.map(\.seq), [6])

        // Nothing was removed: the lost lines are still there, signed, and the anchor still holds.
        XCTAssertEqual(entries().map(\.seq), [1, 2, 3, 4, 5, 6])
        XCTAssertTrue(LogFixtures.lines(of: home.auditLogPath).contains(Array(anchorLine.utf8)))
        let report = try app.verifyAuditLog(.init(anchorPath: anchor))
        XCTAssertNil(report.failure, "\(String(describing: report.failure))")
        XCTAssertTrue(report.anchorChecked)
        XCTAssertNil(report.unrecorded)
        XCTAssertEqual(report.voided.map { [$0.fromSeq, $0.toSeq, $0.seq] }, [[3, 4, 5]])
    }

    func testTornLineAfterASealedBatchIsCutAndTheBatchKept() throws {
        try crashAfterFsync([AuditEntryDraft(actor: "tanaka", action: "audit.note", target: "audit-log", details: ["text": "lost"])],
                            signers: [try activeKey()])
        let torn = Array(#"{"action":"audit.note","actor":"tan"#.utf8)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: home.auditLogPath))
        handle.seekToEndOfFile()
        handle.write(Data(torn))
        try handle.close()
        XCTAssertEqual(try app.verifyAuditLog().failure?.reason, .tornLine)

        let after = try app.recordNote(actor: "suzuki", text: "after")
        XCTAssertEqual(after.recoveries.map(\.action), ["audit.void", "audit.recover"])
        XCTAssertEqual(after.recoveries[1].details["reason"], "torn-line")
        XCTAssertEqual(after.recoveries[1].details["removed_base64"], .string(Base64.encode(torn)))
        XCTAssertEqual(entries().map { $0.details["text"]?.stringValue ?? $0.action },
                       ["init", "before", "lost", "audit.void", "audit.recover", "after"])
        XCTAssertNil(try app.verifyAuditLog().failure)
    }

    /// Lines sealed by a key the home retired are not adopted, even though its public key is in
    /// keys/: a leaked old key cannot make csirt keep lines. They are cut, as evidence.
    func testLinesSealedByARetiredKeyAreCutNotAdopted() throws {
        let old = try activeKey()
        _ = try app.rotateKey(actor: "suzuki", signingKeyPath: nil)
        let forged = try AuditLogWriter(path: home.auditLogPath).append(
            [AuditEntryDraft(actor: "intruder", action: "audit.note", target: "audit-log", details: ["text": "all clear"])],
            signers: [old], time: "2026-12-04T02:00:00Z", expecting: try committedPosition())
        let report = try app.verifyAuditLog()
        XCTAssertEqual(report.failure?.reason, .retiredKey)
        XCTAssertEqual(report.failure?.seq, forged.checkpoints[0].size)

        let after = try app.recordNote(actor: "tanaka", text: "after")
        XCTAssertEqual(after.recoveries.map(\.action), ["audit.recover"])
        XCTAssertEqual(after.recoveries[0].details["reason"], "unrecorded-tail")
        XCTAssertFalse(entries().contains { $0.actor == "intruder" })
        XCTAssertNil(try app.verifyAuditLog().failure)
    }

    /// Nor can a forged rotation entry back to the retired key, sealed by that key, make csirt adopt lines.
    func testAForgedRotationBackToARetiredKeyIsNotAdopted() throws {
        let old = try activeKey()
        let rotation = try app.rotateKey(actor: "suzuki", signingKeyPath: nil)
        try AuditLogWriter(path: home.auditLogPath).append(
            [AuditEntryDraft(actor: "intruder", action: "audit.rotate-key", target: "signing-key", details: [
                "old_keyid": .string(rotation.newKeyID), "new_keyid": .string(old.publicKey.keyID), "new_alg": "ed25519"]),
             AuditEntryDraft(actor: "intruder", action: "audit.note", target: "audit-log", details: ["text": "all clear"])],
            signers: [old], time: "2026-12-04T02:00:00Z", expecting: try committedPosition())
        XCTAssertEqual(try app.verifyAuditLog().failure?.reason, .retiredKey)
        let after = try app.recordNote(actor: "tanaka", text: "after")
        XCTAssertEqual(after.recoveries.map(\.action), ["audit.recover"])
        XCTAssertEqual(after.checkpoints.map(\.keyID), [rotation.newKeyID])
        XCTAssertFalse(entries().contains { $0.actor == "intruder" })
        XCTAssertNil(try app.verifyAuditLog().failure)
    }

    /// A rotation whose log write reached the disk but whose commit did not: the rotation stands
    /// (the old key is retired in the log), so the next write records it and signs with the new key.
    func testInterruptedRotationIsCompletedNotVoided() throws {
        let old = try activeKey()
        let new = try PrivateKey.generateEd25519()
        // What rotateKey writes before the log append: the new key's files.
        XCTAssertTrue(FileManager.default.createFile(atPath: home.publicKeyPath(keyID: new.publicKey.keyID), contents: Data(new.publicKey.pem.utf8)))
        XCTAssertTrue(FileManager.default.createFile(atPath: home.privateKeyPath(keyID: new.publicKey.keyID), contents: Data(new.pkcs8PEM.utf8),
                                                     attributes: [.posixPermissions: 0o600]))
        try crashAfterFsync([AuditEntryDraft(actor: "suzuki", action: "audit.rotate-key", target: "signing-key", details: [
            "old_keyid": .string(old.publicKey.keyID), "new_keyid": .string(new.publicKey.keyID), "new_alg": "ed25519",
        ])], signers: [old, new])

        let after = try app.recordNote(actor: "tanaka", text: "after")
        XCTAssertEqual(after.checkpoints.map(\.keyID), [new.publicKey.keyID], "signed by the key the rotation named")
        XCTAssertEqual(after.recoveries.map(\.action), ["audit.void"])
        let report = try app.verifyAuditLog()
        XCTAssertNil(report.failure, "\(String(describing: report.failure))")
        XCTAssertEqual(report.rotations.map(\.seq), [3])
        let (keys, _) = try app.signingKeys()
        XCTAssertEqual(keys.map(\.keyID), [old.publicKey.keyID, new.publicKey.keyID])
        XCTAssertEqual(keys.map(\.status), [.retired, .active])
        XCTAssertEqual(keys[0].retirement?.seq, 3)
        XCTAssertFalse(FileManager.default.fileExists(atPath: home.privateKeyPath(keyID: old.publicKey.keyID)), "the retired private key is removed")
    }
}
