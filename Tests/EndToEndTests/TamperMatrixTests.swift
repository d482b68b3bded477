import AuditLog
import CanonicalJSON
import CSIRTCrypto
import Foundation
import TestSupport
import XCTest

/// The tamper matrix, run through the real `csirt audit verify` on a log of 1,000+ entries.
final class TamperMatrixTests: XCTestCase {
    struct Verdict {
        var status: Int32
        var line: Int?
        var seq: Int64?
        var reason: String?
        var text: String
    }

    var directory: TemporaryDirectory!
    var key: PrivateKey!
    var pubPath: String!
    var pristine: [[UInt8]] = []
    var logPath: String { directory.file("audit.log") }

    override func setUpWithError() throws {
        directory = TemporaryDirectory()
        key = try PrivateKey.generateEd25519()
        pubPath = directory.write("signer.pub.pem", key.publicKey.pem)
        try LogFixtures.build(at: logPath, entries: 1_000, key: key, seed: 7)
        pristine = LogFixtures.lines(of: logPath)
        XCTAssertGreaterThan(pristine.count, 1_200, "entries plus checkpoints")
    }

    func verify(_ lines: [[UInt8]], tornTail: [UInt8]? = nil, extra: [String] = []) throws -> Verdict {
        LogFixtures.write(lines, to: logPath, tornTail: tornTail)
        let result = try CSIRTBinary.run(["audit", "verify", "--log", logPath, "--pubkey", pubPath, "--format", "json"] + extra)
        guard let value = try? CanonicalJSON.parse(Array(result.stdout.trimmingCharacters(in: .newlines).utf8)) else {
            return Verdict(status: result.status, text: result.stdout + result.stderr)
        }
        let failure = value["failure"]
        return Verdict(status: result.status, line: failure?["line"]?.integerValue.map(Int.init), seq: failure?["seq"]?.integerValue,
                       reason: failure?["reason"]?.stringValue, text: result.stdout)
    }

    func testPristineLogVerifies() throws {
        let verdict = try verify(pristine)
        XCTAssertEqual(verdict.status, 0, verdict.text)
        XCTAssertNil(verdict.reason)
    }

    /// A flipped byte in each of 100 random lines: detected, at that line.
    func testFlippedByteInHundredRandomLines() throws {
        var random = SeededGenerator(seed: 2026)
        let chosen = Array(pristine.indices).shuffled(using: &random).prefix(100)
        for index in chosen {
            var lines = pristine
            let position = Int.random(in: 0..<lines[index].count, using: &random)
            var flip = UInt8.random(in: 1...255, using: &random)
            if lines[index][position] ^ flip == 0x0a { flip ^= 0x01 }  // keep it one line
            lines[index][position] ^= flip
            let verdict = try verify(lines)
            XCTAssertEqual(verdict.status, 1, "line \(index + 1) byte \(position): \(verdict.text)")
            XCTAssertEqual(verdict.line, index + 1, "line \(index + 1) byte \(position) ^ \(flip): \(verdict.text)")
            let isLast = index == lines.count - 1
            let allowed = isLast ? ["modified", "bad-signature", "unknown-key"] : ["modified"]
            XCTAssertTrue(allowed.contains(verdict.reason ?? ""), "line \(index + 1) byte \(position): \(verdict.text)")
        }
    }

    /// With only the newest signature per key checked, the chain still catches every change.
    func testSignaturesLatestStillCatchesChanges() throws {
        var random = SeededGenerator(seed: 11)
        for index in Array(pristine.indices).shuffled(using: &random).prefix(25) {
            var lines = pristine
            let position = Int.random(in: 0..<lines[index].count, using: &random)
            lines[index][position] ^= lines[index][position] == 0x0b ? 0x02 : 0x01
            let verdict = try verify(lines, extra: ["--signatures", "latest"])
            XCTAssertEqual(verdict.status, 1, verdict.text)
            XCTAssertEqual(verdict.line, index + 1, "line \(index + 1) byte \(position): \(verdict.text)")
        }
        XCTAssertEqual(try verify(pristine, extra: ["--signatures", "latest"]).status, 0)
        let other = try PrivateKey.generateEd25519()
        pubPath = directory.write("other.pub.pem", other.publicKey.pem)
        let swapped = try verify(pristine, extra: ["--signatures", "latest"])
        XCTAssertEqual(swapped.reason, "unknown-key", swapped.text)
        XCTAssertEqual(swapped.line, 2)
    }

    func testDeletedLine() throws {
        for index in [1, 2, 500, 733, pristine.count - 3] {
            var lines = pristine
            lines.remove(at: index)
            let verdict = try verify(lines)
            XCTAssertEqual(verdict.status, 1)
            XCTAssertEqual(verdict.reason, "deleted", "deleting line \(index + 1): \(verdict.text)")
            XCTAssertEqual(verdict.line, index + 1, "deleting line \(index + 1): \(verdict.text)")
        }
    }

    func testDeletedFirstLine() throws {
        let verdict = try verify(Array(pristine.dropFirst()))
        XCTAssertEqual(verdict.status, 1, verdict.text)
        XCTAssertEqual(verdict.reason, "deleted", verdict.text)
        XCTAssertEqual(verdict.line, 1)
    }

    func testSwappedLines() throws {
        for index in [3, 400, 901, pristine.count - 3] {
            var lines = pristine
            lines.swapAt(index, index + 1)
            let verdict = try verify(lines)
            XCTAssertEqual(verdict.status, 1)
            XCTAssertEqual(verdict.reason, "reordered", "swapping lines \(index + 1) and \(index + 2): \(verdict.text)")
            XCTAssertEqual(verdict.line, index + 1, verdict.text)
        }
    }

    func testDuplicatedLine() throws {
        for index in [5, 640, pristine.count - 1] {
            var lines = pristine
            lines.insert(lines[index], at: index + 1)
            let verdict = try verify(lines)
            XCTAssertEqual(verdict.status, 1)
            XCTAssertEqual(verdict.reason, "duplicated", "duplicating line \(index + 1): \(verdict.text)")
            XCTAssertEqual(verdict.line, index + 2, verdict.text)
        }
    }

    /// A forged entry that links correctly to the line before it and carries the expected seq.
    func testInsertedForgedLine() throws {
        let index = 812
        let before = pristine[index - 1]
        let parsed = try? CanonicalJSON.parse(pristine[index])
        let nextSeq = parsed?["seq"]?.integerValue ?? (parsed?["size"]?.integerValue ?? 0) + 1
        let forged = AuditEntry(seq: nextSeq, time: "2026-11-23T09:00:00Z",
                                draft: AuditEntryDraft(actor: "intruder", action: "audit.note", target: "audit-log", details: ["text": "nothing happened"]),
                                prev: Digest(hashing: before + [0x0a]))
        var lines = pristine
        lines.insert(forged.line, at: index)
        let verdict = try verify(lines)
        XCTAssertEqual(verdict.status, 1)
        XCTAssertEqual(verdict.reason, "inserted", verdict.text)
        XCTAssertEqual(verdict.line, index + 1, verdict.text)

        // A clumsy forgery (wrong link) is found at the same line.
        var clumsy = pristine
        clumsy.insert(AuditEntry(seq: 99_999, time: "2026-11-23T09:00:00Z", draft: AuditEntryDraft(actor: "x", action: "y", target: "z"), prev: .zero).line, at: index)
        let second = try verify(clumsy)
        XCTAssertEqual(second.reason, "inserted", second.text)
        XCTAssertEqual(second.line, index + 1, second.text)
    }

    /// A tail cut at a checkpoint boundary verifies on its own; the anchor catches it.
    func testTruncatedTailCaughtWithCheckpointAnchor() throws {
        let anchor = directory.write("anchor.txt", String(decoding: pristine.last!, as: UTF8.self) + "\n")
        // Cut back to an earlier checkpoint, so the shortened log is self-consistent.
        let earlier = pristine.prefix(pristine.count - 40).lastIndex { String(decoding: $0, as: UTF8.self).hasPrefix(#"{"alg""#) }!
        let truncated = Array(pristine[...earlier])
        XCTAssertEqual(try verify(truncated).status, 0, "a clean cut is invisible without an anchor")
        let verdict = try verify(truncated, extra: ["--checkpoint", anchor])
        XCTAssertEqual(verdict.status, 1, verdict.text)
        XCTAssertEqual(verdict.reason, "truncated", verdict.text)
        XCTAssertEqual(verdict.line, truncated.count + 1, verdict.text)
        XCTAssertEqual(try verify(pristine, extra: ["--checkpoint", anchor]).status, 0)
    }

    /// A history rewritten by someone holding the key: the anchor catches the rollback.
    func testRewrittenHistoryCaughtWithCheckpointAnchor() throws {
        let anchor = directory.write("anchor.txt", String(decoding: pristine.last!, as: UTF8.self) + "\n")
        let earlier = pristine.indices.filter { String(decoding: pristine[$0], as: UTF8.self).hasPrefix(#"{"alg""#) }[200]
        LogFixtures.write(Array(pristine[...earlier]), to: logPath)
        for _ in 0..<600 {
            try AuditLogWriter(path: logPath).append([AuditEntryDraft(actor: "x", action: "audit.note", target: "t")], signers: [key], time: "2026-11-23T09:00:00Z")
        }
        let lines = LogFixtures.lines(of: logPath)
        let verdict = try verify(lines, extra: ["--checkpoint", anchor])
        XCTAssertEqual(verdict.status, 1, verdict.text)
        XCTAssertEqual(verdict.reason, "rollback", verdict.text)
        // Where the anchored head should stand: the line of the entry with the anchored seq.
        let sizeLine = lines.firstIndex { (try? CanonicalJSON.parse($0))?["action"] != nil && (try? CanonicalJSON.parse($0))?["seq"] == 1_000 }!
        XCTAssertEqual(verdict.line, sizeLine + 1, verdict.text)
    }

    func testTornLastLine() throws {
        let verdict = try verify(pristine, tornTail: Array(#"{"action":"incident.open","act"#.utf8))
        XCTAssertEqual(verdict.status, 1)
        XCTAssertEqual(verdict.reason, "torn-line", verdict.text)
        XCTAssertEqual(verdict.line, pristine.count + 1)
    }

    func testUnsealedTail() throws {
        var lines = pristine
        lines.removeLast()
        let verdict = try verify(lines)
        XCTAssertEqual(verdict.status, 1)
        XCTAssertEqual(verdict.reason, "unsealed", verdict.text)
        let firstUnsealed = lines.lastIndex { String(decoding: $0, as: UTF8.self).hasPrefix(#"{"alg""#) }! + 2
        XCTAssertEqual(verdict.line, firstUnsealed, verdict.text)
    }

    /// The trusted key swapped for another: the first checkpoint is by an unknown key.
    func testKeySwappedForAnother() throws {
        let other = try PrivateKey.generateEd25519()
        pubPath = directory.write("other.pub.pem", other.publicKey.pem)
        let verdict = try verify(pristine)
        XCTAssertEqual(verdict.status, 1)
        XCTAssertEqual(verdict.reason, "unknown-key", verdict.text)
        XCTAssertEqual(verdict.line, 2, verdict.text)
    }

    /// Every checkpoint re-signed by an attacker's key over a modified history.
    func testResignedByAnotherKey() throws {
        let attacker = try PrivateKey.generateEd25519()
        var lines = pristine
        // Rebuild the log from line 1 with the attacker's key.
        let path = directory.file("forged.log")
        _ = try AuditLogWriter.create(path: path, initDraft: AuditEntryDraft(actor: "tester", action: "init", target: "home"), signer: attacker, time: "2026-11-23T09:00:00Z")
        lines = LogFixtures.lines(of: path)
        let verdict = try verify(lines)
        XCTAssertEqual(verdict.reason, "unknown-key", verdict.text)
        XCTAssertEqual(verdict.line, 2)
    }
}
