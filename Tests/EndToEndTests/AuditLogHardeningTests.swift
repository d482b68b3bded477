import AuditLog
import CanonicalJSON
import CSIRTCrypto
import Foundation
import TestSupport
import XCTest

/// The audit log against an outsider: retired keys, malleable signatures, inputs that are not
/// files, anchors in every form — and the rule that the writer and `verify` never disagree.
final class AuditLogHardeningTests: XCTestCase {
    var directory: TemporaryDirectory!
    var home: String { directory.file("home") }
    var log: String { home + "/audit/audit.log" }

    override func setUp() {
        directory = TemporaryDirectory()
    }

    func csirt(_ arguments: [String], home: String? = nil) throws -> ProcessResult {
        try CSIRTBinary.run(arguments, environment: ["CSIRT_HOME": home ?? self.home, "CSIRT_ACTOR": "tester"])
    }

    func verdict(_ result: ProcessResult) -> (reason: String?, line: Int?) {
        guard let value = try? CanonicalJSON.parse(Array(result.stdout.trimmingCharacters(in: .newlines).utf8)) else { return (nil, nil) }
        return (value["failure"]?["reason"]?.stringValue, value["failure"]?["line"]?.integerValue.map(Int.init))
    }

    func assertInputError(_ result: ProcessResult, mentions fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, 2, result.stdout + result.stderr, file: file, line: line)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "one line: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.contains(fragment), "\(result.stderr) lacks \(fragment)", file: file, line: line)
    }

    // MARK: Key lifecycle

    /// After a rotation, the old key — often leaked, which is why it was rotated — cannot extend
    /// the log: its checkpoint past the rotation is `retired-key`, whatever keys are trusted and
    /// whichever signatures are checked.
    func testARetiredKeyCannotExtendTheLog() throws {
        let (oldKey, oldPub) = try OpenSSLCLI.makeKey(.ecdsaP256, in: directory, name: "old")
        XCTAssertEqual(try csirt(["init", "--signing-key", oldKey]).status, 0)
        XCTAssertEqual(try csirt(["audit", "note", "before the rotation"]).status, 0)
        let rotated = try csirt(["audit", "rotate-key"])
        XCTAssertEqual(rotated.status, 0, rotated.stderr)
        XCTAssertEqual(try csirt(["audit", "note", "after the rotation"]).status, 0)
        let oldID = try PublicKey.load(oldPub).keyID
        let newPub = home + "/keys/" + (try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: home + "/keys").first {
            $0.hasSuffix(".pub.pem") && !$0.hasPrefix(String(oldID.prefix(16)))
        }))
        let keys = try csirt(["audit", "keys"])
        XCTAssertTrue(keys.stdout.contains("retired at seq 3"), keys.stdout)

        // The intruder, with the old private key only, appends an entry and seals it.
        let old = try PrivateKey(pem: [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: oldKey))), source: oldKey)
        let genuine = LogFixtures.lines(of: log)
        let origin = Digest(hashing: genuine[0] + [0x0a])
        let last = try Checkpoint.parse(try XCTUnwrap(genuine.last))
        let forged = AuditEntry(seq: last.size + 1, time: "2026-12-04T00:00:00Z",
                                draft: AuditEntryDraft(actor: "intruder", action: "audit.note", target: "audit-log", details: ["text": "all clear"]),
                                prev: Digest(hashing: try XCTUnwrap(genuine.last) + [0x0a]))
        let seal = try Checkpoint.sign(origin: origin, size: forged.seq, head: Digest(hashing: forged.line + [0x0a]), number: last.number + 1, key: old)
        LogFixtures.write(genuine + [forged.line, seal.line], to: log)
        let forgedLine = genuine.count + 2

        let pins: [[String]] = [[], ["--pubkey", oldPub, "--pubkey", newPub]]
        for pinned in pins {
            for signatures in ["all", "latest"] {
                for target in [["--log", log], []] {
                    let result = try csirt(["audit", "verify", "--format", "json", "--signatures", signatures] + pinned + target)
                    XCTAssertEqual(result.status, 1, "\(pinned) \(signatures) \(target): \(result.stdout)")
                    let (reason, line) = verdict(result)
                    XCTAssertEqual(reason, "retired-key", "\(pinned) \(signatures) \(target): \(result.stdout)")
                    XCTAssertEqual(line, forgedLine)
                }
            }
        }
        // The next csirt write does not adopt what the retired key sealed: it cuts it, as evidence.
        XCTAssertEqual(try csirt(["audit", "note", "repair"]).status, 0)
        XCTAssertEqual(try csirt(["audit", "verify"]).status, 0)
        XCTAssertFalse(LogFixtures.lines(of: log).contains(forged.line))
    }

    // MARK: Malleability

    /// The high-S twin of the last checkpoint's ECDSA signature (made without the key) is
    /// `bad-signature`, as the writer — which compares bytes — refuses that log as rewritten.
    func testHighSTwinOfTheLastCheckpointFails() throws {
        let (key, pub) = try OpenSSLCLI.makeKey(.ecdsaP256, in: directory, name: "ec")
        XCTAssertEqual(try csirt(["init", "--signing-key", key]).status, 0)
        XCTAssertEqual(try csirt(["audit", "note", "one"]).status, 0)
        var lines = LogFixtures.lines(of: log)
        let last = try Checkpoint.parse(try XCTUnwrap(lines.last))
        XCTAssertFalse(ECDSATwin.isHighS(last.signature), "csirt writes low-S")
        var twin = last
        twin.signature = try XCTUnwrap(ECDSATwin.twin(last.signature))
        XCTAssertTrue(try PublicKey.load(pub).verify(signature: twin.signature, message: twin.signedText), "OpenSSL alone accepts the twin")
        lines[lines.count - 1] = twin.line
        LogFixtures.write(lines, to: log)
        for extra in [["--log", log, "--pubkey", pub], [], ["--signatures", "latest"]] {
            let result = try csirt(["audit", "verify", "--format", "json"] + extra)
            XCTAssertEqual(result.status, 1, "\(extra): \(result.stdout)")
            XCTAssertEqual(verdict(result).reason, "bad-signature", result.stdout)
            XCTAssertTrue(result.stdout.contains("high-S"), result.stdout)
        }
        let write = try csirt(["audit", "note", "two"])
        XCTAssertEqual(write.status, 1, "the writer refuses too: \(write.stderr)")
    }

    // MARK: The writer and verify agree

    /// For every way of tampering with a home's log, if the next write refuses it, `csirt audit
    /// verify` fails too (and a log verify passes is one the writer extends).
    func testWheneverTheWriterRefusesVerifyFails() throws {
        let (key, pub) = try OpenSSLCLI.makeKey(.ecdsaP256, in: directory, name: "ec")
        let base = directory.file("base")
        XCTAssertEqual(try csirt(["init", "--signing-key", key], home: base).status, 0)
        for index in 0..<6 { XCTAssertEqual(try csirt(["audit", "note", "note \(index)"], home: base).status, 0) }
        let other = directory.file("other")
        XCTAssertEqual(try csirt(["init", "--signing-key", key], home: other).status, 0)
        XCTAssertEqual(try csirt(["audit", "note", "other log"], home: other).status, 0)
        let pristine = LogFixtures.lines(of: base + "/audit/audit.log")
        let otherLines = LogFixtures.lines(of: other + "/audit/audit.log")
        let signer = try PrivateKey(pem: [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: key))), source: key)
        _ = pub

        var tamperings: [(String, ([[UInt8]]) throws -> ([[UInt8]], [UInt8]?))] = [
            ("unchanged", { ($0, nil) }),
            ("last batch cut", { (Array($0.dropLast(2)), nil) }),
            ("last checkpoint cut", { (Array($0.dropLast()), nil) }),
            ("first line changed", { lines in var l = lines; l[0][10] ^= 1; return (l, nil) }),
            ("last line changed", { lines in var l = lines; l[l.count - 1][20] ^= 1; return (l, nil) }),
            ("middle entry changed", { lines in
                var l = lines
                let changed = Array(String(decoding: l[4], as: UTF8.self).replacingOccurrences(of: "note 1", with: "note 9").utf8)
                XCTAssertNotEqual(changed, l[4])
                l[4] = changed
                return (l, nil)
            }),
            ("replaced by another log", { _ in (otherLines, nil) }),
            ("emptied", { _ in ([], nil) }),
            ("torn tail", { ($0, Array(#"{"action":"audit.no"#.utf8)) }),
            ("unsealed entry appended", { lines in
                let entry = AuditEntry(seq: 8, time: "2026-12-04T00:00:00Z", draft: AuditEntryDraft(actor: "x", action: "audit.note", target: "audit-log"),
                                       prev: Digest(hashing: lines.last! + [0x0a]))
                return (lines + [entry.line], nil)
            }),
            ("high-S twin of the last signature", { lines in
                var l = lines
                var last = try Checkpoint.parse(l[l.count - 1])
                last.signature = ECDSATwin.twin(last.signature)!
                l[l.count - 1] = last.line
                return (l, nil)
            }),
            ("history re-signed by the key holder", { lines in
                // Cut after an older checkpoint and continue with other entries, signed with the key.
                let cut = Array(lines.prefix(4))
                let path = self.directory.file("resigned.log")
                LogFixtures.write(cut, to: path)
                try AuditLogWriter(path: path).append([AuditEntryDraft(actor: "x", action: "audit.note", target: "audit-log", details: ["text": "rewritten"])],
                                                      signers: [signer], time: "2026-12-04T00:00:00Z")
                return (LogFixtures.lines(of: path), nil)
            }),
        ]
        tamperings += (0..<pristine.count).map { index in ("line \(index + 1) deleted", { lines in
            var l = lines
            l.remove(at: index)
            return (l, nil)
        }) }
        var refusals = 0
        for (name, tamper) in tamperings {
            let copy = directory.file("copy-\(refusals)-\(name.filter(\.isLetter))")
            try FileManager.default.copyItem(atPath: base, toPath: copy)
            let (lines, torn) = try tamper(pristine)
            LogFixtures.write(lines, to: copy + "/audit/audit.log", tornTail: torn)
            let verify = try csirt(["audit", "verify", "--format", "json"], home: copy)
            let write = try csirt(["audit", "note", "after \(name)"], home: copy)
            if write.status != 0 {
                refusals += 1
                XCTAssertNotEqual(verify.status, 0, "\(name): the writer refused (\(write.stderr)), but verify passed: \(verify.stdout)")
            }
            if verify.status == 0 {
                XCTAssertEqual(write.status, 0, "\(name): verify passed, but the writer refused: \(write.stderr)")
            }
            // From a log that verified, the writer's append leaves one that verifies.
            if verify.status == 0 {
                let after = try csirt(["audit", "verify"], home: copy)
                XCTAssertEqual(after.status, 0, "\(name): the writer wrote, then verify fails: \(after.stdout)")
            }
        }
        XCTAssertGreaterThan(refusals, 5, "the matrix includes logs the writer refuses")
    }

    // MARK: Inputs that are not files, and anchors

    func testNonRegularFilesAreRefusedAtOnce() throws {
        XCTAssertEqual(try csirt(["init"]).status, 0)
        let fifo = directory.file("fifo")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let cases: [([String], String)] = [
            (["audit", "verify", "--log", fifo], "fifo: is a FIFO"),
            (["audit", "verify", "--log", "/dev/zero"], "/dev/zero: is a device"),
            (["audit", "verify", "--checkpoint", fifo], "fifo: is a FIFO"),
            (["audit", "verify", "--checkpoint", "/dev/zero"], "/dev/zero: is a device"),
            (["audit", "verify", "--pubkey", fifo], "fifo: is a FIFO"),
            (["audit", "checkpoint", "--log", fifo], "fifo: is a FIFO"),
            (["audit", "checkpoint", "--log", "/dev/null"], "/dev/null: is a device"),
            (["audit", "rotate-key", "--signing-key", fifo], "fifo: is a FIFO"),
            (["init", "--home", directory.file("other"), "--signing-key", fifo], "fifo: is a FIFO"),
            (["audit", "verify", "--tsa-ca", fifo], "fifo: is a FIFO"),
        ]
        for (arguments, fragment) in cases {
            let start = Date()
            assertInputError(try csirt(arguments), mentions: fragment)
            XCTAssertLessThan(Date().timeIntervalSince(start), 10, "\(arguments) returns at once")
        }
        assertInputError(try csirt(["audit", "checkpoint", "--log", directory.write("text.log", "hello\nworld\n")]), mentions: "text.log:1: not a csirt audit log")
    }

    func testAnchorsInEveryFormAndTheirNumber() throws {
        XCTAssertEqual(try csirt(["init"]).status, 0)
        XCTAssertEqual(try csirt(["audit", "note", "one"]).status, 0)
        let line = try csirt(["audit", "checkpoint"]).stdout
        let json = try csirt(["audit", "checkpoint", "--format", "json"]).stdout
        let text = try csirt(["audit", "checkpoint", "--format", "text"]).stdout
        XCTAssertEqual(try csirt(["audit", "note", "two"]).status, 0)
        for (name, contents) in [("line.txt", line), ("json.txt", json)] {
            let result = try csirt(["audit", "verify", "--checkpoint", directory.write(name, contents)])
            XCTAssertEqual(result.status, 0, "\(name): \(result.stdout) \(result.stderr)")
            XCTAssertTrue(result.stdout.contains("the log extends the given checkpoint"), result.stdout)
        }
        assertInputError(try csirt(["audit", "verify", "--checkpoint", directory.write("text.txt", text)]), mentions: "--format json output, not --format text")

        // An anchor signed by a key the verifier does not trust: bad input, naming the anchor.
        let stranger = directory.file("stranger")
        XCTAssertEqual(try csirt(["init"], home: stranger).status, 0)
        let foreign = directory.write("foreign.txt", try csirt(["audit", "checkpoint"], home: stranger).stdout)
        assertInputError(try csirt(["audit", "verify", "--checkpoint", foreign]), mentions: "foreign.txt: the anchor checkpoint is signed by key")

        // The anchor's number is not signed; the log's checkpoint there must still be that number.
        var anchor = try Checkpoint.parse(Array(line.trimmingCharacters(in: .newlines).utf8))
        anchor.number += 5
        let renumbered = directory.write("renumbered.txt", String(decoding: anchor.line, as: UTF8.self) + "\n")
        let result = try csirt(["audit", "verify", "--checkpoint", renumbered, "--format", "json"])
        XCTAssertEqual(result.status, 1, result.stdout)
        XCTAssertEqual(verdict(result).reason, "rollback", result.stdout)
        XCTAssertTrue(result.stdout.contains("the anchor is checkpoint \(anchor.number)"), result.stdout)
    }
}

extension PublicKey {
    static func load(_ path: String) throws -> PublicKey {
        try PublicKey(pem: [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: path))), source: path)
    }
}
