import AuditLog
import CanonicalJSON
import CSIRTCrypto
import Foundation
import TestSupport
import XCTest

/// The csirt binary as a user (or a cron job) runs it.
final class CLITests: XCTestCase {
    var directory: TemporaryDirectory!
    var home: String { directory.file("home") }

    override func setUp() {
        directory = TemporaryDirectory()
    }

    func csirt(_ arguments: [String], actor: String = "tester") throws -> ProcessResult {
        try CSIRTBinary.run(arguments, environment: ["CSIRT_HOME": home, "CSIRT_ACTOR": actor])
    }

    func assertInputError(_ result: ProcessResult, mentions fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, 2, result.stdout + result.stderr, file: file, line: line)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "one line: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("csirt: error: "), result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains(fragment), "\(result.stderr) lacks \(fragment)", file: file, line: line)
        XCTAssertFalse(result.stderr.contains("Fatal error"), file: file, line: line)
    }

    func testInitIsIdempotentAndVerifies() throws {
        let first = try csirt(["init"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("Initialised csirt home \(home)"))
        for sub in ["csirt.sqlite", "keys", "audit/audit.log"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: home + "/" + sub), sub)
        }
        let keyFiles = try FileManager.default.contentsOfDirectory(atPath: home + "/keys").sorted()
        XCTAssertEqual(keyFiles.count, 2)
        let privatePath = home + "/keys/" + keyFiles.first { !$0.hasSuffix(".pub.pem") }!
        let mode = (try FileManager.default.attributesOfItem(atPath: privatePath)[.posixPermissions] as! NSNumber).intValue
        XCTAssertEqual(mode, 0o600)
        XCTAssertTrue(String(decoding: FileManager.default.contents(atPath: privatePath)!, as: UTF8.self).hasPrefix("-----BEGIN PRIVATE KEY-----"))
        // The database is in WAL mode.
        let journal = try TestProcess.shell("sqlite3 '\(home)/csirt.sqlite' 'PRAGMA journal_mode'")
        XCTAssertEqual(journal.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "wal")

        let log = FileManager.default.contents(atPath: home + "/audit/audit.log")
        let keyBytes = FileManager.default.contents(atPath: privatePath)
        let second = try csirt(["init"])
        XCTAssertEqual(second.status, 0)
        XCTAssertTrue(second.stdout.contains("already initialised"))
        XCTAssertEqual(FileManager.default.contents(atPath: home + "/audit/audit.log"), log, "a second init writes nothing")
        XCTAssertEqual(FileManager.default.contents(atPath: privatePath), keyBytes)

        let verify = try csirt(["audit", "verify"])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
        XCTAssertTrue(verify.stdout.hasPrefix("OK "), verify.stdout)
        let entry = try AuditEntry.parse(LogFixtures.lines(of: home + "/audit/audit.log")[0])
        XCTAssertEqual(entry.action, "init")
        XCTAssertEqual(entry.actor, "tester")
        XCTAssertEqual(entry.seq, 1)
    }

    func testHomeResolutionOrder() throws {
        let xdg = directory.file("xdg")
        let viaXDG = try CSIRTBinary.run(["init"], environment: ["XDG_DATA_HOME": xdg, "CSIRT_HOME": ""])
        XCTAssertEqual(viaXDG.status, 0, viaXDG.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: xdg + "/csirt/audit/audit.log"))
        let explicit = directory.file("explicit")
        let viaFlag = try CSIRTBinary.run(["init", "--home", explicit], environment: ["CSIRT_HOME": home])
        XCTAssertEqual(viaFlag.status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: explicit + "/audit/audit.log"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: home))
    }

    func testInitRefusesBadKeysAndWritesNothing() throws {
        let (edKey, edPub) = try OpenSSLCLI.makeKey(.ed25519, in: directory, name: "ed")
        let encrypted = directory.file("enc.pem")
        XCTAssertEqual(try TestProcess.shell("openssl pkey -in '\(edKey)' -aes256 -passout pass:x -out '\(encrypted)'").status, 0)
        let weak = directory.file("weak.pem")
        XCTAssertEqual(try TestProcess.shell("openssl genrsa -out '\(weak)' 1024 2>/dev/null").status, 0)
        let huge = directory.file("huge.pem")
        XCTAssertEqual(try TestProcess.shell("head -c 104857600 /dev/zero | tr '\\0' 'A' > '\(huge)'").status, 0)
        let cases: [(String, String)] = [
            (edPub, "holds a public key"),
            (encrypted, "encrypted"),
            (weak, "1024 bits is too short"),
            (directory.write("garbage.pem", "-----BEGIN PRIVATE KEY-----\nzzzz\n-----END PRIVATE KEY-----\n"), "malformed PEM private key"),
            (directory.write("empty.pem", ""), "empty file"),
            (directory.file("missing.pem"), "no such file"),
            (huge, "too large"),
            (directory.write("binary.pem", bytes: [0xff, 0xfe, 0x00, 0x01]), "not a PEM file"),
        ]
        for (path, fragment) in cases {
            let result = try csirt(["init", "--signing-key", path])
            assertInputError(result, mentions: fragment)
            XCTAssertTrue(result.stderr.contains(path), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: home), "nothing written for \(path)")
        }
        // An initialised home refuses a different key.
        XCTAssertEqual(try csirt(["init"]).status, 0)
        let log = FileManager.default.contents(atPath: home + "/audit/audit.log")
        assertInputError(try csirt(["init", "--signing-key", edKey]), mentions: "never overwrites a key")
        XCTAssertEqual(FileManager.default.contents(atPath: home + "/audit/audit.log"), log)
    }

    func testDeletedLogIsNotStartedAgain() throws {
        XCTAssertEqual(try csirt(["init"]).status, 0)
        try FileManager.default.removeItem(atPath: home + "/audit/audit.log")
        assertInputError(try csirt(["init"]), mentions: "the audit log is missing")
        assertInputError(try csirt(["audit", "note", "x"]), mentions: "the audit log is missing")
        XCTAssertFalse(FileManager.default.fileExists(atPath: home + "/audit/audit.log"))
    }

    func testRotationKeysAndAnchors() throws {
        XCTAssertEqual(try csirt(["init"]).status, 0)
        XCTAssertEqual(try csirt(["audit", "note", "before rotation"]).status, 0)
        let anchor = try csirt(["audit", "checkpoint"])
        XCTAssertEqual(anchor.status, 0)
        let anchorPath = directory.write("anchor.txt", anchor.stdout)
        let oldKeys = try FileManager.default.contentsOfDirectory(atPath: home + "/keys").sorted()

        let (ecKey, _) = try OpenSSLCLI.makeKey(.ecdsaP256, in: directory, name: "ec")
        let rotate = try csirt(["audit", "rotate-key", "--signing-key", ecKey])
        XCTAssertEqual(rotate.status, 0, rotate.stderr)
        XCTAssertEqual(try csirt(["audit", "note", "after rotation"]).status, 0)
        let keysAfter = try FileManager.default.contentsOfDirectory(atPath: home + "/keys").sorted()
        XCTAssertEqual(keysAfter.filter { $0.hasSuffix(".pub.pem") }.count, 2, "retired public key stays")
        XCTAssertEqual(keysAfter.filter { !$0.hasSuffix(".pub.pem") }.count, 1, "retired private key is gone")
        XCTAssertTrue(keysAfter.contains(oldKeys.first { $0.hasSuffix(".pub.pem") }!))

        let verify = try csirt(["audit", "verify", "--checkpoint", anchorPath, "--format", "json"])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
        let report = try CanonicalJSON.parse(Array(verify.stdout.trimmingCharacters(in: .newlines).utf8))
        XCTAssertEqual(report["anchor_checked"], true)
        XCTAssertEqual(report["entries"], 4)

        let keys = try csirt(["audit", "keys", "--format", "json"])
        XCTAssertEqual(keys.status, 0, keys.stderr)
        guard case .array(let list)? = try? CanonicalJSON.parse(Array(keys.stdout.trimmingCharacters(in: .newlines).utf8)) else {
            return XCTFail(keys.stdout)
        }
        XCTAssertEqual(list.map { $0["status"] }, ["retired", "active"])
        XCTAssertEqual(list.map { $0["alg"] }, ["ed25519", "ecdsa-p256-sha256"])
        XCTAssertEqual(list.map { $0["first_size"] }, [1, 3])
        XCTAssertEqual(list.map { $0["last_size"] }, [3, 4])

        // The rotation entry is sealed by both keys.
        let lines = LogFixtures.lines(of: home + "/audit/audit.log").map { String(decoding: $0, as: UTF8.self) }
        let rotation = lines.firstIndex { $0.contains(#""action":"audit.rotate-key""#) }!
        XCTAssertTrue(lines[rotation + 1].contains(#""alg":"ed25519""#))
        XCTAssertTrue(lines[rotation + 2].contains(#""alg":"ecdsa-p256-sha256""#))

        // Rotating to the same key again is refused.
        assertInputError(try csirt(["audit", "rotate-key", "--signing-key", ecKey]), mentions: "already the active signing key")
    }

    func testCheckpointFileErrors() throws {
        XCTAssertEqual(try csirt(["init"]).status, 0)
        assertInputError(try csirt(["audit", "verify", "--checkpoint", directory.write("e.txt", "")]), mentions: "e.txt: empty file")
        assertInputError(try csirt(["audit", "verify", "--checkpoint", directory.write("j.txt", "{\"a\":1}\n")]), mentions: "j.txt:1: not a checkpoint")
        assertInputError(try csirt(["audit", "verify", "--checkpoint", directory.write("two.txt", "x\ny\n")]), mentions: "two.txt:2: more than one line")
        assertInputError(try csirt(["audit", "verify", "--checkpoint", directory.file("nope.txt")]), mentions: "no such file")
    }

    func testVerifyInputErrors() throws {
        XCTAssertEqual(try csirt(["init"]).status, 0)
        let pub = home + "/keys/" + (try FileManager.default.contentsOfDirectory(atPath: home + "/keys").first { $0.hasSuffix(".pub.pem") }!)
        assertInputError(try csirt(["audit", "verify", "--log", directory.file("missing.log")]), mentions: "missing.log: no such file")
        assertInputError(try csirt(["audit", "verify", "--log", directory.write("empty.log", "")]), mentions: "empty.log: empty file")
        assertInputError(try csirt(["audit", "verify", "--log", directory.write("text.log", "hello\nworld\n")]), mentions: "text.log:1: not a csirt audit log")
        assertInputError(try csirt(["audit", "verify", "--log", directory.write("bin.log", bytes: [0xff, 0xfe, 0x0a, 0x80, 0x0a])]), mentions: "bin.log:1: not a csirt audit log")
        let bigLine = directory.file("big.log")
        XCTAssertEqual(try TestProcess.shell("head -c 104857600 /dev/zero | tr '\\0' 'x' > '\(bigLine)'; echo >> '\(bigLine)'").status, 0)
        assertInputError(try csirt(["audit", "verify", "--log", bigLine]), mentions: "big.log:1: not a csirt audit log")
        assertInputError(try csirt(["audit", "verify", "--pubkey", home + "/keys"]), mentions: "is a directory")
        assertInputError(try csirt(["audit", "verify", "--pubkey", directory.write("x.pem", "nope")]), mentions: "x.pem: not a PEM file")
        let privateKey = home + "/keys/" + (try FileManager.default.contentsOfDirectory(atPath: home + "/keys").first { !$0.hasSuffix(".pub.pem") }!)
        assertInputError(try csirt(["audit", "verify", "--pubkey", privateKey]), mentions: "holds a private key")
        XCTAssertEqual(try csirt(["audit", "verify", "--pubkey", pub]).status, 0)
        assertInputError(try CSIRTBinary.run(["audit", "verify"], environment: ["CSIRT_HOME": directory.file("nowhere")]), mentions: "no audit log")
    }

    func testUsageErrorsExitTwoAndHelpExitsZero() throws {
        let help = try CSIRTBinary.run(["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("audit"))
        let auditHelp = try CSIRTBinary.run(["audit", "verify", "--help"])
        XCTAssertEqual(auditHelp.status, 0)
        XCTAssertTrue(auditHelp.stdout.contains("--checkpoint"))
        assertInputError(try CSIRTBinary.run(["audit", "verify", "--bogus"]), mentions: "--bogus")
        assertInputError(try CSIRTBinary.run(["frobnicate"]), mentions: "frobnicate")
        assertInputError(try CSIRTBinary.run(["audit", "verify", "--format", "yaml"]), mentions: "yaml")
        assertInputError(try CSIRTBinary.run(["audit", "verify-file", "x"]), mentions: "--signature")
        assertInputError(try csirt(["audit", "note", "   "]), mentions: "no csirt home")
        XCTAssertEqual(try csirt(["init"]).status, 0)
        assertInputError(try csirt(["audit", "note", "   "]), mentions: "the note is empty")
        assertInputError(try csirt(["audit", "note", "--actor", "", "x"]), mentions: "--actor must not be empty")
    }

    /// Two processes appending at once: no lost, interleaved or forked writes.
    func testTwoProcessesAppendingConcurrently() throws {
        XCTAssertEqual(try csirt(["init"]).status, 0)
        let binary = CSIRTBinary.path
        let script = """
            for i in $(seq 1 40); do "\(binary)" audit note --home '\(home)' --actor "$1" "note $i" >/dev/null || echo "fail $1 $i"; done
            """
        let scriptPath = directory.write("writer.sh", script)
        let result = try TestProcess.shell("sh '\(scriptPath)' alice & sh '\(scriptPath)' bob & wait")
        XCTAssertEqual(result.stdout, "", "every note was recorded")
        let verify = try csirt(["audit", "verify", "--format", "json"])
        XCTAssertEqual(verify.status, 0, verify.stdout)
        let entries = LogFixtures.lines(of: home + "/audit/audit.log").compactMap { try? AuditEntry.parse($0) }
        XCTAssertEqual(entries.count, 81)
        XCTAssertEqual(entries.map(\.seq), Array(1...81))
        for actor in ["alice", "bob"] {
            let texts = entries.filter { $0.actor == actor }.map { $0.details["text"]?.stringValue ?? "" }
            XCTAssertEqual(texts, (1...40).map { "note \($0)" }, "\(actor)'s notes, in order, once each")
        }
    }
}

/// What csirt does when its log was touched behind its back.
final class OutsideChangeTests: XCTestCase {
    func testForgedAppendIsCutNotSignedAndTruncationIsRefused() throws {
        let directory = TemporaryDirectory()
        let home = directory.file("home")
        let env = ["CSIRT_HOME": home, "CSIRT_ACTOR": "tester"]
        XCTAssertEqual(try CSIRTBinary.run(["init"], environment: env).status, 0)
        XCTAssertEqual(try CSIRTBinary.run(["audit", "note", "first"], environment: env).status, 0)
        let log = home + "/audit/audit.log"
        var lines = LogFixtures.lines(of: log)
        let forged = AuditEntry(seq: 3, time: "2026-11-23T00:00:00Z", draft: AuditEntryDraft(actor: "intruder", action: "audit.note", target: "audit-log", details: ["text": "all clear"]),
                                prev: Digest(hashing: lines.last! + [0x0a]))
        lines.append(forged.line)
        LogFixtures.write(lines, to: log)

        let note = try CSIRTBinary.run(["audit", "note", "second"], environment: env)
        XCTAssertEqual(note.status, 0, note.stderr)
        let entries = LogFixtures.lines(of: log).compactMap { try? AuditEntry.parse($0) }
        XCTAssertEqual(entries.map(\.action), ["init", "audit.note", "audit.recover", "audit.note"])
        XCTAssertFalse(entries.contains { $0.actor == "intruder" }, "the forged entry is not part of the chain")
        XCTAssertEqual(entries[2].details["removed_base64"], .string(Base64.encode(forged.line + [0x0a])))
        XCTAssertEqual(try CSIRTBinary.run(["audit", "verify"], environment: env).status, 0)

        // Cut the last batch off: the next write refuses, exit 1, and writes nothing.
        let kept = Array(LogFixtures.lines(of: log).dropLast(2))
        LogFixtures.write(kept, to: log)
        let refused = try CSIRTBinary.run(["audit", "note", "third"], environment: env)
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("truncated"), refused.stderr)
        XCTAssertEqual(LogFixtures.lines(of: log), kept)
    }

    func testTamperedTextCannotForgeOutputLines() throws {
        let directory = TemporaryDirectory()
        let key = try PrivateKey.generateEd25519()
        let path = directory.file("audit.log")
        try LogFixtures.build(at: path, entries: 3, key: key)
        var lines = LogFixtures.lines(of: path)
        // A key name with a newline and an escape sequence in it (escaped in JSON, raw once decoded).
        lines[1] = Array(#"{"\nOK everything fine\u001b[2J":1}"#.utf8)
        LogFixtures.write(lines, to: path)
        let pub = directory.write("k.pub.pem", key.publicKey.pem)
        let result = try CSIRTBinary.run(["audit", "verify", "--log", path, "--pubkey", pub])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout.split(separator: "\n").count, 1, result.stdout)
        XCTAssertFalse(result.stdout.contains("\u{1b}"), result.stdout)
    }
}
