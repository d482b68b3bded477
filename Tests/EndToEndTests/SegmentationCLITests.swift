import AuditLog
import Foundation
import TestSupport
import XCTest

/// `csirt check segmentation` through the real binary: every shipped example against its
/// expected verdict, SARIF against the official schema, recorded runs, and bad inputs.
final class SegmentationCLITests: XCTestCase {
    var directory: TemporaryDirectory!
    var env: [String: String] = [:]

    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    static var examples: String { repository.appendingPathComponent("Examples/segmentation").path }

    override func setUpWithError() throws {
        directory = TemporaryDirectory()
        env = ["CSIRT_HOME": directory.file("home"), "CSIRT_ACTOR": "suzuki"]
    }

    func csirt(_ arguments: [String]) throws -> ProcessResult {
        try CSIRTBinary.run(arguments, environment: env)
    }

    func document(_ result: ProcessResult) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stderr)
    }

    func violatedRules(_ document: [String: Any]) -> [String] {
        let findings = document["findings"] as? [[String: Any]] ?? []
        let ids = findings.filter { $0["level"] as? String == "violation" }.compactMap { ($0["rule"] as? [String: Any])?["id"] as? String }
        return Array(Set(ids)).sorted()
    }

    func testEveryShippedExampleGivesItsExpectedVerdict() throws {
        let table = try String(contentsOfFile: Self.examples + "/expected.tsv", encoding: .utf8)
        var checked = 0
        for line in table.split(separator: "\n").dropFirst() {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let site = Self.examples + "/" + columns[0]
            let result = try csirt(["check", "segmentation", site, "--no-record", "--format", "json"])
            XCTAssertEqual(result.status, Int32(columns[1]), "\(columns[0]): \(result.stderr)")
            let expected = columns.count > 2 ? columns[2].split(separator: ",").map(String.init).sorted() : []
            XCTAssertEqual(violatedRules(try document(result)), expected, columns[0])
            // Every violation carries its proof.
            for finding in try document(result)["findings"] as? [[String: Any]] ?? [] where finding["kind"] as? String == "forbidden-flow" {
                XCTAssertNotNil(finding["witness"], columns[0])
                XCTAssertNotNil(finding["ruleText"], columns[0])
            }
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 12)
    }

    func testSARIFValidatesAgainstTheSchemaAndPointsAtTheRule() throws {
        let site = Self.examples + "/alpha/network-noncompliant.yaml"
        let out = directory.file("result.sarif")
        let result = try csirt(["check", "segmentation", site, "--no-record", "--format", "sarif", "--out", out])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(result.stdout, "", "--out writes the file, not stdout")
        let schema = Self.repository.appendingPathComponent("Tests/Schemas/sarif-schema-2.1.0.json").path
        guard let validation = try JSONSchemaCheck.validate(out, against: schema) else { throw XCTSkip("python3-jsonschema is not installed") }
        XCTAssertEqual(validation.status, 0, validation.stderr)
        let sarif = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        let results = ((sarif["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]]) ?? []
        let mn01 = try XCTUnwrap(results.first { $0["ruleId"] as? String == "MN-01" })
        XCTAssertEqual(mn01["level"] as? String, "error")
        let location = ((mn01["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
        XCTAssertTrue(((location?["artifactLocation"] as? [String: Any])?["uri"] as? String ?? "").hasSuffix("alpha/fw-core-noncompliant.rules"))
        XCTAssertEqual((location?["region"] as? [String: Any])?["startLine"] as? Int, 21)
    }

    func testRunsAreStoredAndAudited() throws {
        XCTAssertEqual(try csirt(["init"]).status, 0)
        let compliant = try csirt(["check", "segmentation", Self.examples + "/beta/network.yaml"])
        XCTAssertEqual(compliant.status, 0, compliant.stderr)
        XCTAssertTrue(compliant.stdout.contains("COMPLIANT"), compliant.stdout + compliant.stderr)
        let broken = try csirt(["check", "segmentation", Self.examples + "/beta/network-noncompliant-nft.yaml", "--format", "json"])
        XCTAssertEqual(broken.status, 1, broken.stderr)
        XCTAssertEqual(try document(broken)["run"] as? Int, 2)
        let runs = try csirt(["check", "runs"])
        XCTAssertEqual(runs.stdout.split(separator: "\n").count, 2, runs.stdout)
        XCTAssertTrue(runs.stdout.hasPrefix("2\t"))
        let stored = try csirt(["check", "runs", "--id", "2"])
        XCTAssertEqual(violatedRules(try document(stored)), ["IN-02", "LG-02", "RQ-01"])
        let entries = LogFixtures.lines(of: directory.file("home/audit/audit.log")).compactMap { try? AuditEntry.parse($0) }
        let checks = entries.filter { $0.action == "check.segmentation" }
        XCTAssertEqual(checks.map(\.target), ["run/1", "run/2"])
        XCTAssertEqual(checks.last?.actor, "suzuki")
        XCTAssertEqual(checks.last?.details["compliant"], .bool(false))
        XCTAssertEqual(try csirt(["audit", "verify"]).status, 0)
    }

    func testBadInputIsOneLineExitTwoAndNothingRecorded() throws {
        XCTAssertEqual(try csirt(["init"]).status, 0)
        try FileManager.default.createDirectory(atPath: directory.file("case"), withIntermediateDirectories: true)
        let site = try String(contentsOfFile: Self.examples + "/alpha/network.yaml", encoding: .utf8)
        func refused(_ siteText: String, rules: String?, _ fragment: String, extra: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
            let path = directory.write("case/network.yaml", siteText)
            if let rules { _ = directory.write("case/fw-core.rules", rules) } else { try? FileManager.default.removeItem(atPath: directory.file("case/fw-core.rules")) }
            let result = try csirt(["check", "segmentation", path] + extra)
            XCTAssertEqual(result.status, 2, result.stdout + result.stderr, file: file, line: line)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr, file: file, line: line)
            XCTAssertTrue(result.stderr.contains(fragment), "\(result.stderr) lacks \(fragment)", file: file, line: line)
        }
        let rules = try String(contentsOfFile: Self.examples + "/alpha/fw-core.rules", encoding: .utf8)
        try refused(site, rules: nil, "network.yaml:44: firewall fw-core:")
        try refused(site, rules: rules.replacingOccurrences(of: "-A FORWARD -i eth0", with: "-A FORWARD -i eth0 -p nosuchproto"), "fw-core.rules:")
        try refused(site, rules: rules.replacingOccurrences(of: "COMMIT", with: ""), "before COMMIT")
        try refused(site.replacingOccurrences(of: "model: alpha", with: "model: gamma"), rules: rules, "network.yaml:7:8: unknown model")
        let policy = directory.write("bad-policy.yaml", "policy: x\nmodel: alpha\ntitle: {ja: a, en: b}\nguideline: g\nrules:\n  - {id: A, title: {ja: a, en: b}, section: s, severity: high, forbid: {from: segment:nowhere, to: any}}\n")
        try refused(site, rules: rules, "bad-policy.yaml:6:", extra: ["--policy", policy])
        try refused(site, rules: rules, "no-such.yaml: no such file", extra: ["--policy", directory.file("no-such.yaml")])
        try refused(site, rules: rules, "cannot write there", extra: ["--out", directory.file("no-such-dir/result.json")])
        let runs = try csirt(["check", "runs"])
        XCTAssertEqual(runs.stdout, "", "no run was recorded")
        let unknown = try csirt(["check", "runs", "--id", "99"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("no segmentation run 99"), unknown.stderr)
    }
}
