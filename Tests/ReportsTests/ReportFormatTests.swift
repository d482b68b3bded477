import Foundation
import Incidents
import Reports
import TestSupport
import XCTest

/// The formats: JSON against its published schema, CSV parsed back, Markdown tables, both
/// languages, and byte-identical output for the same evidence.
final class ReportFormatTests: XCTestCase {
    static let repository = ControlCatalogDecoderTests.repository

    func report(_ evidence: ComplianceEvidence = Fixture.passing()) -> ComplianceReport {
        let controls = [Fixture.control("A-1", .segmentation(maxAgeDays: 31)), Fixture.control("A-2", .manual, appliesTo: ["beta-prime"]),
                        Fixture.control("A-3", .containmentTime(p90Hours: 15)), Fixture.control("A-4", .auditLog)]
        return ComplianceReport(catalog: Fixture.catalog(controls), evidence: evidence)
    }

    func testJSONMatchesItsSchema() throws {
        let directory = TemporaryDirectory()
        let schema = Self.repository.appendingPathComponent("docs/schemas/compliance-report.schema.json").path
        for language in ReportLanguage.allCases {
            let file = directory.write("report-\(language).json", bytes: ComplianceJSON.encode(report(), language: language))
            guard let validation = try JSONSchemaCheck.validate(file, against: schema) else { throw XCTSkip("python3-jsonschema is not installed") }
            XCTAssertEqual(validation.status, 0, validation.stderr)
        }
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(ComplianceJSON.encode(report(), language: .en))) as? [String: Any])
        XCTAssertEqual((parsed["summary"] as? [String: Any])?["result"] as? String, "fail")
        let controls = try XCTUnwrap(parsed["controls"] as? [[String: Any]])
        XCTAssertEqual(controls.map { $0["status"] as? String }, ["pass", "not-applicable", "fail", "pass"])
        XCTAssertEqual(((parsed["incidents"] as? [String: Any])?["time_to_contain_seconds"] as? [String: Any])?["p90"] as? Int, 20 * 3_600)
    }

    func testCSVParsesBackOneRowPerControl() throws {
        var evidence = Fixture.passing()
        evidence.sites[0].site = "=HYPERLINK(\"x\")"
        evidence.sites[0].violations = 1
        let directory = TemporaryDirectory()
        let file = directory.write("r.csv", bytes: ComplianceCSV.encode(report(evidence), language: .ja))
        let parsed = try TestProcess.run("/usr/bin/env", ["python3", "-c", """
            import csv, json, sys
            with open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
                print(json.dumps(list(csv.reader(f)), ensure_ascii=False))
            """, file])
        XCTAssertEqual(parsed.status, 0, parsed.stderr)
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(parsed.stdout.utf8)) as? [[String]])
        XCTAssertEqual(rows.first, ComplianceCSV.header)
        XCTAssertEqual(rows.count, 5)
        XCTAssertEqual(rows.dropFirst().map { $0[1] }, ["A-1", "A-2", "A-3", "A-4"])
        XCTAssertEqual(rows[1][4], "fail")
        XCTAssertTrue(rows[1][5].contains("違反1件"), rows[1][5])
        XCTAssertTrue(rows[1][5].hasPrefix("'="), "a cell that would start a formula is made text: \(rows[1][5])")
        XCTAssertTrue(rows.dropFirst().allSatisfy { $0.count == 7 })
    }

    func testUserTextCannotInjectMarkupOrRows() {
        var evidence = Fixture.passing()
        evidence.sites[0].site = "<img src=x onerror=alert(1)> [x](javascript:1)\r\nnext"
        evidence.sites[0].violations = 1
        let markdown = String(decoding: ComplianceMarkdown.encode(report(evidence), language: .en), as: UTF8.self)
        XCTAssertFalse(markdown.contains("<img"), markdown)
        XCTAssertFalse(markdown.contains("[x](javascript"), markdown)
        let html = String(decoding: ComplianceHTML.encode(report(evidence), language: .en), as: UTF8.self)
        XCTAssertFalse(html.contains("<img"))
        XCTAssertTrue(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
        let csv = String(decoding: ComplianceCSV.encode(report(evidence), language: .en), as: UTF8.self)
        XCTAssertTrue(csv.contains(",\"<img src=x onerror=alert(1)> [x](javascript:1)\r\nnext: 1 violation"), "a cell with a line break is quoted: \(csv)")
    }

    func testMarkdownInBothLanguages() {
        let ja = String(decoding: ComplianceMarkdown.encode(report(), language: .ja), as: UTF8.self)
        let en = String(decoding: ComplianceMarkdown.encode(report(), language: .en), as: UTF8.self)
        XCTAssertTrue(ja.contains("| A-3 | A-3の文 | 不適合 |"), ja)
        XCTAssertTrue(ja.contains("総合判定: **不適合**"), ja)
        XCTAssertTrue(en.contains("| A-3 | text of A-3 | fail |"), en)
        XCTAssertTrue(en.contains("seq 42, sha256 `\(String(repeating: "ab", count: 32))`"), en)
        XCTAssertFalse(en.contains("不適合"))
    }

    func testSameEvidenceSameBytesWhateverTheInputOrder() {
        var shuffled = Fixture.passing()
        shuffled.sites.reverse()
        shuffled.incidents.reverse()
        shuffled.tasks.reverse()
        for language in ReportLanguage.allCases {
            XCTAssertEqual(ComplianceJSON.encode(report(), language: language), ComplianceJSON.encode(report(shuffled), language: language))
            XCTAssertEqual(ComplianceMarkdown.encode(report(), language: language), ComplianceMarkdown.encode(report(shuffled), language: language))
            XCTAssertEqual(ComplianceCSV.encode(report(), language: language), ComplianceCSV.encode(report(shuffled), language: language))
            XCTAssertEqual(ComplianceHTML.encode(report(), language: language), ComplianceHTML.encode(report(shuffled), language: language))
            XCTAssertEqual(ComplianceOSCAL.encode(report(), language: language), ComplianceOSCAL.encode(report(shuffled), language: language))
        }
    }
}
