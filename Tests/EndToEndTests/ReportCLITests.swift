import CanonicalJSON
import Foundation
import TestSupport
import XCTest

/// `csirt report compliance` through the real binary: exit codes for cron, both languages, the
/// audit entry with the output's digest, and what may differ between two reports of one store.
final class ReportCLITests: XCTestCase {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/segmentation/alpha").path

    func home(checking site: String) throws -> (TemporaryDirectory, [String: String]) {
        let directory = TemporaryDirectory()
        let env = ["CSIRT_HOME": directory.file("home"), "CSIRT_ACTOR": "ciso-suzuki", "LANG": "C"]
        XCTAssertEqual(try CSIRTBinary.run(["init"], environment: env).status, 0)
        let check = try CSIRTBinary.run(["check", "segmentation", Self.examples + "/" + site], environment: env)
        XCTAssertNotEqual(check.status, 2, check.stderr)
        return (directory, env)
    }

    /// An end an hour ahead, as a time (a date would be read in the legal zone, Asia/Tokyo, and end
    /// before "now" for nine hours of each UTC day): the command ends the period now, after the checks.
    static var untilNow: String { RFC3339.format(Date().addingTimeInterval(3_600)) }

    func testExitCodeFollowsTheResultAndTheAuditEntryNamesTheOutput() throws {
        let (directory, env) = try home(checking: "network-noncompliant.yaml")
        let out = directory.file("report.json")
        let failing = try CSIRTBinary.run(["report", "compliance", "--from", "2026-01-01", "--to", Self.untilNow, "--format", "json", "--out", out],
                                          environment: env)
        XCTAssertEqual(failing.status, 1, failing.stderr)
        XCTAssertEqual(failing.stdout, "")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: out)))
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let controls = try XCTUnwrap(report["controls"] as? [[String: Any]])
        XCTAssertEqual(controls.first { $0["id"] as? String == "TL-1" }?["status"] as? String, "fail")
        XCTAssertEqual(controls.first { $0["id"] as? String == "LOG-1" }?["status"] as? String, "pass")

        let log = try String(contentsOfFile: directory.file("home/audit/audit.log"), encoding: .utf8)
        let entry = try XCTUnwrap(log.split(separator: "\n").map { try CanonicalJSON.parse(Array($0.utf8)) }
            .last { $0["action"]?.stringValue == "report.compliance" })
        XCTAssertEqual(entry["actor"]?.stringValue, "ciso-suzuki")
        let sha256sum = try TestProcess.run("/usr/bin/env", ["sha256sum", out])
        XCTAssertEqual(entry["details"]?["sha256"]?.stringValue, String(sha256sum.stdout.prefix(64)), "the entry names the bytes written")
        XCTAssertEqual(entry["details"]?["result"]?.stringValue, "fail")
        XCTAssertEqual(try CSIRTBinary.run(["audit", "verify"], environment: env).status, 0)

        let (cleanDirectory, clean) = try home(checking: "network.yaml")
        defer { _ = cleanDirectory }
        let passing = try CSIRTBinary.run(["report", "compliance", "--from", "2026-01-01", "--to", Self.untilNow], environment: clean)
        XCTAssertEqual(passing.status, 0, passing.stderr + passing.stdout)
        XCTAssertTrue(passing.stdout.contains("| TL-1 | The three-layer separation is checked regularly and holds | pass |"), passing.stdout)
    }

    func testLanguagesAndTwoReportsDifferOnlyInTheHead() throws {
        let (directory, env) = try home(checking: "network-noncompliant.yaml")
        defer { _ = directory }
        let arguments = ["report", "compliance", "--from", "2026-01-01T00:00:00Z", "--to", "2026-11-01T00:00:00Z"]
        let first = try CSIRTBinary.run(arguments, environment: env)
        let second = try CSIRTBinary.run(arguments, environment: env)
        let firstLines = first.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let secondLines = second.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(firstLines.count, secondLines.count)
        let differing = zip(firstLines, secondLines).filter { $0 != $1 }.map(\.0)
        // Only the audit head moves (the first report is itself an entry): where the report names it,
        // and LOG-1's reason, which says up to which entry the log was verified.
        XCTAssertEqual(differing.count, 2, "\(differing)")
        XCTAssertTrue(differing.first?.hasPrefix("- Built from the audit log head: seq ") ?? false, "\(differing)")
        XCTAssertTrue(differing.last?.hasPrefix("| LOG-1 |") ?? false, "\(differing)")

        let japanese = try CSIRTBinary.run(arguments, environment: env.merging(["LANG": "ja_JP.UTF-8"]) { $1 })
        XCTAssertTrue(japanese.stdout.hasPrefix("# 遵守状況報告書: "), japanese.stdout)
        let english = try CSIRTBinary.run(arguments + ["--lang", "en"], environment: env.merging(["LANG": "ja_JP.UTF-8"]) { $1 })
        XCTAssertTrue(english.stdout.hasPrefix("# Compliance report: "), english.stdout)
    }

    func testAHomeFromBeforeReportsUsesTheShippedCatalog() throws {
        let (directory, env) = try home(checking: "network.yaml")
        try FileManager.default.removeItem(atPath: directory.file("home/policies/controls.yaml"))
        let report = try CSIRTBinary.run(["report", "compliance", "--format", "csv"], environment: env)
        XCTAssertNotEqual(report.status, 2, report.stderr)
        XCTAssertTrue(report.stdout.contains("organisation,ORG-1,"), report.stdout)
    }

    func testBadInputsExit2AndWriteNothing() throws {
        let (directory, env) = try home(checking: "network.yaml")
        let badCatalog = directory.write("controls.yaml", "catalog:\n  id: x\n  version: 1\n  title: {ja: a, en: b}\ngroups:\n  - id: g\n    title: {ja: a, en: b}\n    controls:\n      - id: G-1\n        check: manual\n")
        let out = directory.file("never.md")
        let cases: [([String], String)] = [
            (["--controls", badCatalog], "controls.yaml:9:"),
            (["--controls", directory.file("missing.yaml")], "missing.yaml"),
            (["--from", "2026-01-01"], "give both --from and --to"),
            (["--from", "2026-05-01", "--to", "2026-04-01"], "is not before"),
            (["--from", "yesterday", "--to", "2026-04-01"], "--from \"yesterday\" is not a time"),
            (["--format", "pdf"], "pdf"),
        ]
        let before = try String(contentsOfFile: directory.file("home/audit/audit.log"), encoding: .utf8)
        for (extra, fragment) in cases {
            let result = try CSIRTBinary.run(["report", "compliance", "--out", out] + extra, environment: env)
            XCTAssertEqual(result.status, 2, "\(extra): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(fragment), "\(extra): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(extra) wrote a report")
        }
        XCTAssertEqual(try String(contentsOfFile: directory.file("home/audit/audit.log"), encoding: .utf8), before, "a refused report is not audited")
    }
}

/// Every format from the real binary: SARIF and OSCAL against their schemas, HTML well-formed and
/// self-contained, and `--sign` checked with `csirt audit verify-file` and with the openssl CLI.
final class ReportFormatCLITests: XCTestCase {
    static let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Schemas").path

    func testEveryFormatValidatesAndTheSignatureVerifiesWithOpenSSL() throws {
        let directory = TemporaryDirectory()
        let env = ["CSIRT_HOME": directory.file("home"), "CSIRT_ACTOR": "auditor-kato", "LANG": "ja_JP.UTF-8"]
        XCTAssertEqual(try CSIRTBinary.run(["init"], environment: env).status, 0)
        _ = try CSIRTBinary.run(["check", "segmentation", ReportCLITests.examples + "/network-noncompliant.yaml"], environment: env)
        _ = try CSIRTBinary.run(["incident", "open", "--title", "不審なメール", "--category", "phishing", "--severity", "low"], environment: env)
        let period = ["--from", "2026-01-01", "--to", ReportCLITests.untilNow]
        var files: [String: String] = [:]
        for format in ["md", "html", "json", "csv", "sarif", "oscal"] {
            let out = directory.file("report.\(format)")
            let result = try CSIRTBinary.run(["report", "compliance", "--format", format, "--out", out, "--sign"] + period, environment: env)
            XCTAssertEqual(result.status, 1, "\(format): \(result.stderr)")  // the example site violates the policy
            files[format] = out
        }
        let publicKey = try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: directory.file("home/keys")).first { $0.hasSuffix(".pub.pem") })
        let keyPath = directory.file("home/keys/" + publicKey)
        for (format, file) in files {
            let ours = try CSIRTBinary.run(["audit", "verify-file", file, "--signature", file + ".sig", "--pubkey", keyPath], environment: env)
            XCTAssertEqual(ours.status, 0, "\(format): \(ours.stdout) \(ours.stderr)")
            let openssl = try TestProcess.run("/usr/bin/env", ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", keyPath, "-rawin", "-in", file, "-sigfile", file + ".sig"])
            XCTAssertEqual(openssl.status, 0, "\(format): \(openssl.stdout) \(openssl.stderr)")
        }
        // A changed byte no longer verifies.
        var tampered = try [UInt8](Data(contentsOf: URL(fileURLWithPath: files["csv"]!)))
        tampered[tampered.count - 3] ^= 0x01
        let changed = directory.write("changed.csv", bytes: tampered)
        XCTAssertEqual(try TestProcess.run("/usr/bin/env", ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", keyPath, "-rawin", "-in", changed,
                                                            "-sigfile", files["csv"]! + ".sig"]).status, 1)
        XCTAssertEqual(try CSIRTBinary.run(["report", "compliance", "--sign"], environment: env).status, 2, "--sign needs --out")

        // Last: the schema checks need python3-jsonschema, and skip without it.
        let validation = try TestProcess.run("/usr/bin/env", ["python3", "-c", """
            import json, sys, xml.etree.ElementTree as ET
            try:
                import jsonschema
            except ImportError:
                print("no jsonschema"); sys.exit(3)
            schemas, sarif, oscal, html = sys.argv[1:5]
            jsonschema.Draft7Validator(json.load(open(schemas + "/sarif-schema-2.1.0.json"))).validate(json.load(open(sarif)))
            text = open(schemas + "/oscal-1.0.6-assessment-results-schema.json").read()
            text = text.replace("\\\\\\\\p{L}", "[^\\\\\\\\W\\\\\\\\d_]").replace("\\\\\\\\p{N}", "\\\\\\\\d")
            jsonschema.Draft7Validator(json.loads(text)).validate(json.load(open(oscal)))
            page = open(html, encoding="utf-8").read()
            assert page.startswith("<!DOCTYPE html>"), "doctype"
            root = ET.fromstring(page[page.index("<html"):])
            assert root.attrib.get("lang") == "ja"
            svgs = root.findall(".//{http://www.w3.org/2000/svg}svg")
            assert len(svgs) == 3, len(svgs)
            for tag in ("script", "link", "img", "iframe"):
                assert not root.findall(".//" + tag), tag
            assert "http://" not in page.replace("http://www.w3.org/2000/svg", ""), "an external reference"
            print("ok")
            """, Self.schemas, files["sarif"]!, files["oscal"]!, files["html"]!])
        if validation.status == 3 { throw XCTSkip("python3-jsonschema is not installed") }
        XCTAssertEqual(validation.status, 0, validation.stderr + validation.stdout)

        let sarif = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: files["sarif"]!))) as? [String: Any])
        let results = ((sarif["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]]) ?? []
        XCTAssertTrue(results.contains { $0["ruleId"] as? String == "MN-01" }, "the violations of the site's latest check")

    }

    /// The documented `openssl dgst` check for homes whose signing key is ECDSA P-256 or RSA.
    func testSignaturesByECDSAAndRSAKeysVerifyWithOpenSSLDgst() throws {
        for kind in [OpenSSLCLI.KeyKind.ecdsaP256, .rsa2048] {
            let directory = TemporaryDirectory()
            let key = try OpenSSLCLI.makeKey(kind, in: directory, name: "signing")
            let env = ["CSIRT_HOME": directory.file("home"), "CSIRT_ACTOR": "auditor-kato", "LANG": "C"]
            let initialised = try CSIRTBinary.run(["init", "--signing-key", key.privateKey], environment: env)
            XCTAssertEqual(initialised.status, 0, initialised.stderr)
            let out = directory.file("report.md")
            let made = try CSIRTBinary.run(["report", "compliance", "--out", out, "--sign"], environment: env)
            XCTAssertNotEqual(made.status, 2, made.stderr)
            let verified = try TestProcess.run("/usr/bin/env", ["openssl", "dgst", "-sha256", "-verify", key.publicKey, "-signature", out + ".sig", out])
            XCTAssertEqual(verified.status, 0, "\(kind): \(verified.stdout) \(verified.stderr)")
            XCTAssertTrue(verified.stdout.contains("Verified OK"), verified.stdout)
        }
    }
}
