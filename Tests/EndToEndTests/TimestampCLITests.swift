import AuditLog
import CanonicalJSON
import CSIRTCrypto
import Foundation
import TestSupport
import XCTest

/// `csirt audit timestamp` and `audit verify --tsa-ca` against a real local TSA (`openssl ts
/// -reply` behind a python3 HTTP responder on loopback), and the auditor's `openssl ts -verify`.
final class TimestampCLITests: XCTestCase {
    var directory: TemporaryDirectory!
    var tsa: LocalTSA!
    var home: String { directory.file("home") }
    var log: String { home + "/audit/audit.log" }

    override func setUpWithError() throws {
        directory = TemporaryDirectory()
        do {
            tsa = try LocalTSA.start(in: directory.file("tsa"))
        } catch let unavailable as LocalTSAUnavailable {
            throw XCTSkip("the local TSA cannot run here: \(unavailable.description)")
        }
        XCTAssertEqual(try csirt(["init"]).status, 0)
        XCTAssertEqual(try csirt(["audit", "note", "first"]).status, 0)
    }

    override func tearDown() {
        tsa?.stop()
    }

    func csirt(_ arguments: [String]) throws -> ProcessResult {
        try CSIRTBinary.run(arguments, environment: ["CSIRT_HOME": home, "CSIRT_ACTOR": "tester"])
    }

    func json(_ result: ProcessResult) throws -> JSONValue {
        try CanonicalJSON.parse(Array(result.stdout.trimmingCharacters(in: .newlines).utf8))
    }

    func tokenFiles(_ logDirectory: String? = nil) -> [String] {
        let dir = (logDirectory ?? home + "/audit") + "/timestamps"
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".tsr") }.sorted()
    }

    func testTimestampVerifiesWithCsirtAndWithTheOpenSSLCommandAuditorsRun() throws {
        let stamp = try csirt(["audit", "timestamp", "--tsa", tsa.url(), "--tsa-cert", tsa.caCertificatePath, "--format", "json"])
        XCTAssertEqual(stamp.status, 0, stamp.stdout + stamp.stderr)
        let outcome = try json(stamp)
        let number = try XCTUnwrap(outcome["checkpoint"]?.integerValue)
        XCTAssertEqual(outcome["verified_with_certificate"], true)
        XCTAssertEqual(tokenFiles().count, 1)
        let entries = LogFixtures.lines(of: log).compactMap { try? AuditEntry.parse($0) }
        let recorded = try XCTUnwrap(entries.last)
        XCTAssertEqual(recorded.action, "audit.timestamp")
        XCTAssertEqual(recorded.details["checkpoint"]?.integerValue, number)
        XCTAssertEqual(recorded.details["file"]?.stringValue, "timestamps/" + tokenFiles()[0])

        let verify = try csirt(["audit", "verify", "--tsa-ca", tsa.caCertificatePath, "--format", "json"])
        XCTAssertEqual(verify.status, 0, verify.stdout)
        let stamps = try XCTUnwrap(try json(verify)["timestamps"])
        guard case .array(let items) = stamps else { return XCTFail("timestamps is not an array") }
        XCTAssertEqual(items.count, 1)
        XCTAssertEqual(items[0]["checkpoint"]?.integerValue, number)
        XCTAssertEqual(items[0]["late"], false)

        // The auditor's check by hand, as docs/audit-log.md shows it: the checkpoint's line, its
        // SHA-256, and openssl ts -verify against the TSA's CA.
        let auditor = try TestProcess.shell("""
            line=$(grep -n '^{"alg":"[^"]*","head":"[0-9a-f]*","keyid":"[0-9a-f]*","number":\(number),' '\(log)' | cut -d: -f1)
            imprint=$(sed -n "${line}p" '\(log)' | sha256sum | cut -d' ' -f1)
            openssl ts -verify -digest "$imprint" -in '\(home)/audit/timestamps/\(tokenFiles()[0])' -CAfile '\(tsa.caCertificatePath)' 2>&1
            """)
        XCTAssertEqual(auditor.status, 0, auditor.stdout)
        XCTAssertTrue(auditor.stdout.contains("Verification: OK"), auditor.stdout)
        let shown = try TestProcess.shell("openssl ts -reply -in '\(home)/audit/timestamps/\(tokenFiles()[0])' -text 2>&1")
        XCTAssertEqual(shown.status, 0, shown.stdout)
        XCTAssertTrue(shown.stdout.contains("Time stamp:"), shown.stdout)

        // The same token against another authority's CA does not verify.
        let other = try csirt(["audit", "verify", "--tsa-ca", tsa.otherCACertificatePath, "--format", "json"])
        XCTAssertEqual(other.status, 1, other.stdout)
        XCTAssertEqual(try json(other)["failure"]?["reason"], "bad-timestamp")
    }

    func testUnreachableOrRefusingTSAWritesNothing() throws {
        let before = FileManager.default.contents(atPath: log)
        let cases: [(String, String)] = [
            ("http://127.0.0.1:9/tsr", "http://127.0.0.1:9/tsr"),
            (tsa.url(.http500), "500"),
            (tsa.url(.rejection), "did not grant"),
            (tsa.url(.wrongContentType), "application/timestamp-reply"),
        ]
        for (url, fragment) in cases {
            let result = try csirt(["audit", "timestamp", "--tsa", url, "--timeout", "5"])
            XCTAssertEqual(result.status, 2, "\(url): \(result.stdout) \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains(fragment), "\(result.stderr) lacks \(fragment)")
        }
        // A token from a TSA the given CA does not vouch for is refused before anything is stored.
        let untrusted = try csirt(["audit", "timestamp", "--tsa", tsa.url(.untrustedSigner), "--tsa-cert", tsa.caCertificatePath])
        XCTAssertEqual(untrusted.status, 2, untrusted.stderr)
        XCTAssertTrue(untrusted.stderr.contains("does not verify"), untrusted.stderr)
        let missing = try csirt(["audit", "timestamp"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("audit.tsa-url"), missing.stderr)
        XCTAssertEqual(FileManager.default.contents(atPath: log), before, "nothing written")
        XCTAssertEqual(tokenFiles(), [])
        // The setting is used when --tsa is not given.
        XCTAssertEqual(try csirt(["config", "set", "audit.tsa-url", tsa.url()]).status, 0)
        XCTAssertEqual(try csirt(["audit", "timestamp"]).status, 0)
        XCTAssertEqual(tokenFiles().count, 1)
    }

    /// A token stays valid evidence: a history rewritten after it was issued, a removed token, and
    /// entries whose times are later than the TSA's are each reported.
    func testRewrittenHistoryRemovedTokenAndFalseTimes() throws {
        XCTAssertEqual(try csirt(["audit", "timestamp", "--tsa", tsa.url()]).status, 0)
        XCTAssertEqual(try csirt(["audit", "note", "second"]).status, 0)
        let keys = try FileManager.default.contentsOfDirectory(atPath: home + "/keys")
        let keyFile = home + "/keys/" + (try XCTUnwrap(keys.first { !$0.hasSuffix(".pub.pem") }))
        let pubFile = home + "/keys/" + (try XCTUnwrap(keys.first { $0.hasSuffix(".pub.pem") }))
        let key = try PrivateKey(pem: [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: keyFile))), source: keyFile)

        // Someone holding the key rewrites the log from line 3 on (the note "first" and what
        // follows) and re-signs it: the log verifies with the key, but the token's checkpoint is gone.
        let copy = directory.file("copy")
        try FileManager.default.createDirectory(atPath: copy + "/timestamps", withIntermediateDirectories: true)
        for name in tokenFiles() {
            try FileManager.default.copyItem(atPath: home + "/audit/timestamps/" + name, toPath: copy + "/timestamps/" + name)
        }
        LogFixtures.write(Array(LogFixtures.lines(of: log).prefix(2)), to: copy + "/audit.log")
        try AuditLogWriter(path: copy + "/audit.log").append([AuditEntryDraft(actor: "tester", action: "audit.note", target: "audit-log", details: ["text": "nothing happened"])],
                                                             signers: [key], time: "2026-12-04T00:00:00Z")
        XCTAssertEqual(try csirt(["audit", "verify", "--log", copy + "/audit.log", "--pubkey", pubFile]).status, 0, "without the tokens the rewrite passes")
        let rewritten = try csirt(["audit", "verify", "--log", copy + "/audit.log", "--pubkey", pubFile, "--tsa-ca", tsa.caCertificatePath, "--format", "json"])
        XCTAssertEqual(rewritten.status, 1, rewritten.stdout)
        XCTAssertEqual(try json(rewritten)["failure"]?["reason"], "rollback")
        XCTAssertTrue(rewritten.stdout.contains("no longer contains"), rewritten.stdout)

        // The home's token file removed: the entry that recorded it names what is missing.
        let stored = home + "/audit/timestamps/" + tokenFiles()[0]
        let saved = try XCTUnwrap(FileManager.default.contents(atPath: stored))
        try FileManager.default.removeItem(atPath: stored)
        let removed = try csirt(["audit", "verify", "--tsa-ca", tsa.caCertificatePath, "--format", "json"])
        XCTAssertEqual(removed.status, 1, removed.stdout)
        XCTAssertEqual(try json(removed)["failure"]?["reason"], "bad-timestamp")
        XCTAssertTrue(removed.stdout.contains("not among the stored tokens"), removed.stdout)
        XCTAssertTrue(FileManager.default.createFile(atPath: stored, contents: saved))
        XCTAssertEqual(try csirt(["audit", "verify", "--tsa-ca", tsa.caCertificatePath]).status, 0)

        // A log whose entries claim times after the TSA's: built with a time a day ahead, then stamped.
        let ahead = directory.file("ahead")
        try FileManager.default.createDirectory(atPath: ahead + "/timestamps", withIntermediateDirectories: true)
        let future = RFC3339.format(Date().addingTimeInterval(86_400))
        _ = try AuditLogWriter.create(path: ahead + "/audit.log", initDraft: AuditEntryDraft(actor: "tester", action: "init", target: "home"), signer: key, time: future)
        let line = try AuditLogReader.latestCheckpoint(path: ahead + "/audit.log").line
        let request = try TimestampRequest(sha256: SHA256.hash(Array(line.utf8) + [0x0a]))
        XCTAssertTrue(FileManager.default.createFile(atPath: ahead + "/timestamps/t.tsr", contents: Data(try tsa.reply(to: request.der))))
        let early = try csirt(["audit", "verify", "--log", ahead + "/audit.log", "--pubkey", pubFile, "--tsa-ca", tsa.caCertificatePath, "--format", "json"])
        XCTAssertEqual(early.status, 1, early.stdout)
        XCTAssertEqual(try json(early)["failure"]?["reason"], "bad-timestamp")
        XCTAssertTrue(early.stdout.contains("their times are false"), early.stdout)
    }

    /// A token issued long after the checkpoint's last entry proves the log only from its own time: reported as late.
    func testLateTokenIsReported() throws {
        let keys = try FileManager.default.contentsOfDirectory(atPath: home + "/keys")
        let keyFile = home + "/keys/" + (try XCTUnwrap(keys.first { !$0.hasSuffix(".pub.pem") }))
        let pubFile = home + "/keys/" + (try XCTUnwrap(keys.first { $0.hasSuffix(".pub.pem") }))
        let key = try PrivateKey(pem: [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: keyFile))), source: keyFile)
        let old = directory.file("old")
        try FileManager.default.createDirectory(atPath: old + "/timestamps", withIntermediateDirectories: true)
        _ = try AuditLogWriter.create(path: old + "/audit.log", initDraft: AuditEntryDraft(actor: "tester", action: "init", target: "home"),
                                      signer: key, time: "2026-01-05T00:00:00Z")
        let line = try AuditLogReader.latestCheckpoint(path: old + "/audit.log").line
        let request = try TimestampRequest(sha256: SHA256.hash(Array(line.utf8) + [0x0a]))
        XCTAssertTrue(FileManager.default.createFile(atPath: old + "/timestamps/t.tsr", contents: Data(try tsa.reply(to: request.der))))
        let verify = try csirt(["audit", "verify", "--log", old + "/audit.log", "--pubkey", pubFile, "--tsa-ca", tsa.caCertificatePath])
        XCTAssertEqual(verify.status, 0, verify.stdout)
        XCTAssertTrue(verify.stdout.contains("late: it proves the log only from"), verify.stdout)
    }
}
