import AuditLog
import CanonicalJSON
import CSIRTCrypto
import Foundation
import TestSupport
import XCTest

final class AuditLogWriterTests: XCTestCase {
    let time = "2026-11-23T10:00:00Z"

    func makeLog(_ directory: TemporaryDirectory, entries: Int = 10) throws -> (String, PrivateKey) {
        let key = try PrivateKey.generateEd25519()
        let path = directory.file("audit.log")
        try LogFixtures.build(at: path, entries: entries, key: key)
        return (path, key)
    }

    func verify(_ path: String, _ key: PrivateKey) throws -> VerificationReport {
        try AuditLogVerifier.verify(path: path, options: .init(trustedKeys: [key.publicKey]))
    }

    func testAppendedBatchesVerify() throws {
        let directory = TemporaryDirectory()
        let (path, key) = try makeLog(directory, entries: 50)
        let report = try verify(path, key)
        XCTAssertNil(report.failure)
        XCTAssertEqual(report.entries, 50)
        XCTAssertEqual(report.lines, 50 + report.checkpoints)
        XCTAssertEqual(report.lastCheckpoint?.size, 50)
        XCTAssertEqual(report.keys.map(\.keyID), [key.publicKey.keyID])
        // Every line is canonical JSON with the documented keys.
        for line in LogFixtures.lines(of: path) {
            XCTAssertEqual(CanonicalJSON.serialize(try CanonicalJSON.parse(line)), line)
        }
    }

    func testCreateNeverReplacesALog() throws {
        let directory = TemporaryDirectory()
        let (path, key) = try makeLog(directory)
        XCTAssertThrowsError(try AuditLogWriter.create(path: path, initDraft: AuditEntryDraft(actor: "a", action: "init", target: "home"), signer: key, time: time)) {
            XCTAssertTrue("\($0)".contains("already exists"), "\($0)")
        }
    }

    func testMissingOrEmptyLogIsNeverStartedAgain() throws {
        let directory = TemporaryDirectory()
        let key = try PrivateKey.generateEd25519()
        let path = directory.file("audit.log")
        XCTAssertThrowsError(try AuditLogWriter(path: path).append([AuditEntryDraft(actor: "a", action: "x", target: "t")], signers: [key], time: time)) {
            XCTAssertTrue("\($0)".contains("missing"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        _ = directory.write("audit.log", "")
        XCTAssertThrowsError(try AuditLogWriter(path: path).append([AuditEntryDraft(actor: "a", action: "x", target: "t")], signers: [key], time: time)) {
            XCTAssertTrue("\($0)".contains("empty"), "\($0)")
        }
        XCTAssertEqual(FileManager.default.contents(atPath: path)?.count, 0)
    }

    func testTornLineIsReportedThenRepairedWithARecordedRecovery() throws {
        let directory = TemporaryDirectory()
        let (path, key) = try makeLog(directory)
        let lines = LogFixtures.lines(of: path)
        let torn = Array(#"{"action":"incident.note","actor":"tan"#.utf8)
        LogFixtures.write(lines, to: path, tornTail: torn)

        let report = try verify(path, key)
        XCTAssertEqual(report.failure?.reason, .tornLine)
        XCTAssertEqual(report.failure?.line, lines.count + 1)

        let receipt = try AuditLogWriter(path: path).append([AuditEntryDraft(actor: "a", action: "audit.note", target: "audit-log")], signers: [key], time: time)
        XCTAssertEqual(receipt.recoveries.count, 1)
        XCTAssertEqual(receipt.recoveries[0].action, "audit.recover")
        XCTAssertEqual(receipt.recoveries[0].details["reason"], "torn-line")
        XCTAssertEqual(receipt.recoveries[0].details["removed_bytes"], .integer(Int64(torn.count)))
        XCTAssertEqual(receipt.recoveries[0].details["removed_base64"], .string(Base64.encode(torn)))
        XCTAssertEqual(receipt.entries[0].seq, 12, "the recovery entry takes seq 11")
        XCTAssertNil(try verify(path, key).failure)
    }

    func testUnsealedEntriesAreReportedThenCutNotSigned() throws {
        let directory = TemporaryDirectory()
        let (path, key) = try makeLog(directory)
        var lines = LogFixtures.lines(of: path)
        // A writer that died after its entry and before its checkpoint.
        let orphan = AuditEntry(seq: 11, time: time, draft: AuditEntryDraft(actor: "a", action: "audit.note", target: "audit-log"),
                                prev: Digest(hashing: lines.last! + [0x0a]))
        lines.append(orphan.line)
        LogFixtures.write(lines, to: path)

        let report = try verify(path, key)
        XCTAssertEqual(report.failure?.reason, .unsealed)
        XCTAssertEqual(report.failure?.line, lines.count)
        XCTAssertEqual(report.failure?.seq, 11)

        // The writer never signs lines it did not write: the orphan is cut and kept as evidence.
        let receipt = try AuditLogWriter(path: path).append([AuditEntryDraft(actor: "a", action: "audit.note", target: "audit-log")], signers: [key], time: time)
        XCTAssertEqual(receipt.recoveries.first?.details["reason"], "unrecorded-tail")
        XCTAssertEqual(receipt.recoveries.first?.details["removed_base64"], .string(Base64.encode(orphan.line + [0x0a])))
        XCTAssertEqual(receipt.recoveries.first?.seq, 11, "the orphan's seq is taken by the recovery entry")
        XCTAssertNil(try verify(path, key).failure)
        XCTAssertFalse(LogFixtures.lines(of: path).contains(orphan.line))
    }

    func testPositionFromTheDatabaseCatchesTruncationRewriteAndOutsideAppends() throws {
        let directory = TemporaryDirectory()
        let (path, key) = try makeLog(directory)
        let writer = AuditLogWriter(path: path)
        let first = try writer.append([AuditEntryDraft(actor: "a", action: "audit.note", target: "t")], signers: [key], time: time)
        let pristine = LogFixtures.lines(of: path)

        // Someone appends a well-chained forged batch: it is cut, kept as evidence, never signed.
        let forged = AuditEntry(seq: first.position.lastSeq + 1, time: time, draft: AuditEntryDraft(actor: "x", action: "incident.close", target: "INC-2026-0001"),
                                prev: Digest(hex: first.position.head)!)
        LogFixtures.write(pristine + [forged.line], to: path)
        let second = try writer.append([AuditEntryDraft(actor: "a", action: "audit.note", target: "t")], signers: [key], time: time, expecting: first.position)
        XCTAssertEqual(second.recoveries.map { $0.details["reason"] }, ["unrecorded-tail"])
        XCTAssertFalse(LogFixtures.lines(of: path).contains(forged.line))
        XCTAssertNil(try verify(path, key).failure)

        // Cut back to an earlier, self-consistent state: refused.
        let now = LogFixtures.lines(of: path)
        LogFixtures.write(pristine, to: path)
        XCTAssertThrowsError(try writer.append([AuditEntryDraft(actor: "a", action: "x", target: "t")], signers: [key], time: time, expecting: second.position)) {
            XCTAssertTrue(($0 as? AuditLogError)?.isIntegrityFailure == true)
            XCTAssertTrue("\($0)".contains("truncated"), "\($0)")
        }
        // The last line rewritten: refused.
        var rewritten = now
        rewritten[rewritten.count - 1][20] ^= 1
        LogFixtures.write(rewritten, to: path)
        XCTAssertThrowsError(try writer.append([AuditEntryDraft(actor: "a", action: "x", target: "t")], signers: [key], time: time, expecting: second.position)) {
            XCTAssertTrue("\($0)".contains("rewritten"), "\($0)")
        }
        XCTAssertEqual(LogFixtures.lines(of: path), rewritten, "nothing written")
    }

    func testLogWithoutAVerifiableCheckpointIsNotExtended() throws {
        let directory = TemporaryDirectory()
        let (path, key) = try makeLog(directory)
        let stranger = try PrivateKey.generateEd25519()
        let before = FileManager.default.contents(atPath: path)
        XCTAssertThrowsError(try AuditLogWriter(path: path).append([AuditEntryDraft(actor: "a", action: "x", target: "t")], signers: [stranger], time: time)) {
            XCTAssertTrue("\($0)".contains("no checkpoint signed by the signing key"), "\($0)")
        }
        XCTAssertEqual(FileManager.default.contents(atPath: path), before, "nothing written")
        // A damaged last line is cut back to the last checkpoint that verifies, and kept as evidence.
        var lines = LogFixtures.lines(of: path)
        lines[lines.count - 1] = Array("garbage".utf8)
        LogFixtures.write(lines, to: path)
        let receipt = try AuditLogWriter(path: path).append([AuditEntryDraft(actor: "a", action: "x", target: "t")], signers: [key], time: time)
        XCTAssertEqual(receipt.recoveries.first?.details["reason"], "unrecorded-tail")
        XCTAssertNil(try verify(path, key).failure)
    }

    func testEmptyActorIsRefused() throws {
        let directory = TemporaryDirectory()
        let (path, key) = try makeLog(directory)
        XCTAssertThrowsError(try AuditLogWriter(path: path).append([AuditEntryDraft(actor: "", action: "x", target: "t")], signers: [key], time: time))
    }

    func testOversizedEntryIsRefusedAndNothingWritten() throws {
        let directory = TemporaryDirectory()
        let (path, key) = try makeLog(directory)
        let before = FileManager.default.contents(atPath: path)
        let huge = AuditEntryDraft(actor: "a", action: "audit.note", target: "t", details: ["text": .string(String(repeating: "x", count: 1 << 20))])
        XCTAssertThrowsError(try AuditLogWriter(path: path).append([huge], signers: [key], time: time))
        XCTAssertEqual(FileManager.default.contents(atPath: path), before)
    }

    func testConcurrentWritersNeverForkTheChain() throws {
        let directory = TemporaryDirectory()
        let (path, key) = try makeLog(directory, entries: 1)
        let writers = 4, batches = 40
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            for batch in 0..<batches {
                _ = try? AuditLogWriter(path: path).append(
                    [AuditEntryDraft(actor: "w\(writer)", action: "audit.note", target: "b\(batch)")], signers: [key], time: "2026-11-23T10:00:00Z")
            }
        }
        let report = try verify(path, key)
        XCTAssertNil(report.failure)
        XCTAssertEqual(report.entries, Int64(1 + writers * batches))
    }

    func testRotationCheckpointsCarryBothKeys() throws {
        let directory = TemporaryDirectory()
        let (path, old) = try makeLog(directory)
        let new = try PrivateKey.generateEd25519()
        let receipt = try AuditLogWriter(path: path).append([AuditEntryDraft(actor: "a", action: "audit.rotate-key", target: "signing-key")], signers: [old, new], time: time)
        XCTAssertEqual(receipt.checkpoints.map(\.keyID), [old.publicKey.keyID, new.publicKey.keyID])
        XCTAssertEqual(receipt.checkpoints.map(\.size), [11, 11])
        try AuditLogWriter(path: path).append([AuditEntryDraft(actor: "a", action: "audit.note", target: "t")], signers: [new], time: time)

        let report = try AuditLogVerifier.verify(path: path, options: .init(trustedKeys: [old.publicKey, new.publicKey]))
        XCTAssertNil(report.failure)
        XCTAssertEqual(report.keys.map(\.keyID), [old.publicKey.keyID, new.publicKey.keyID])
        XCTAssertEqual(report.keys.map(\.lastSize), [11, 12])
        XCTAssertEqual(report.keys[1].firstSize, 11)
        // Without the old key the first checkpoint is by an unknown key.
        let partial = try AuditLogVerifier.verify(path: path, options: .init(trustedKeys: [new.publicKey]))
        XCTAssertEqual(partial.failure?.reason, .unknownKey)
        XCTAssertEqual(partial.failure?.line, 2)
    }

    func testNotAnAuditLogIsAnInputError() throws {
        let directory = TemporaryDirectory()
        let key = try PrivateKey.generateEd25519()
        for (name, contents) in [("passwd", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"), ("json", "{\"a\":1}\n{\"b\":2}\n")] {
            let path = directory.write(name, contents)
            XCTAssertThrowsError(try AuditLogVerifier.verify(path: path, options: .init(trustedKeys: [key.publicKey]))) { error in
                XCTAssertTrue(error is AuditLogError)
                XCTAssertTrue("\(error)".contains("\(path):1: not a csirt audit log"), "\(error)")
            }
        }
        XCTAssertThrowsError(try AuditLogVerifier.verify(path: directory.write("empty", ""), options: .init(trustedKeys: [key.publicKey])))
        XCTAssertThrowsError(try AuditLogVerifier.verify(path: directory.file("missing"), options: .init(trustedKeys: [key.publicKey])))
    }
}
