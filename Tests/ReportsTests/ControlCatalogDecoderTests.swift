import Foundation
import Reports
import XCTest
import YAMLFormats

final class ControlCatalogDecoderTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testTheShippedCatalogDecodes() throws {
        let path = Self.repository.appendingPathComponent("Policies/controls.yaml").path
        let catalog = try ControlCatalogDecoder.decode(String(contentsOfFile: path, encoding: .utf8), file: path)
        XCTAssertEqual(catalog.id, "csirt-municipal-baseline")
        XCTAssertGreaterThanOrEqual(catalog.controls.count, 16)
        XCTAssertEqual(Set(catalog.controls.map(\.id)).count, catalog.controls.count)
        XCTAssertEqual(Set(catalog.controls.map(\.check.kind)), Set(ControlCheck.kinds), "every check kind is used")
        XCTAssertTrue(catalog.controls.allSatisfy { !$0.title.ja.isEmpty && !$0.title.en.isEmpty })
    }

    static let valid = """
        catalog:
          id: mine
          version: 2
          title: {ja: "独自", en: "Own"}
        groups:
          - id: ops
            title: {ja: "運用", en: "Operations"}
            controls:
              - id: OPS-1
                title: {ja: "題", en: "Title"}
                source: {ja: "出典", en: "Source"}
                statement: {ja: "文", en: "Statement"}
                check: containment-time
                p90_hours: 12.5
                guidance: {ja: "指針", en: "Guidance"}
        """

    func testParametersAndErrorsAtTheirLine() throws {
        let catalog = try ControlCatalogDecoder.decode(Self.valid, file: "c.yaml")
        XCTAssertEqual(catalog.controls.first?.check, .containmentTime(p90Hours: 12.5))
        XCTAssertEqual(catalog.version, 2)

        let cases: [(String, String, String)] = [
            (Self.valid.replacingOccurrences(of: "check: containment-time", with: "check: manual"), "c.yaml:14:",
             "p90_hours is a parameter of check containment-time, not of manual"),
            (Self.valid.replacingOccurrences(of: "        p90_hours: 12.5\n", with: ""), "c.yaml:13:", "needs p90_hours"),
            (Self.valid.replacingOccurrences(of: "p90_hours: 12.5", with: "p90_hours: -1"), "c.yaml:14:", "p90_hours must be a number of hours > 0"),
            (Self.valid.replacingOccurrences(of: "id: OPS-1", with: "id: ops-01"), "c.yaml:9:", "control id \"ops-01\""),
            (Self.valid.replacingOccurrences(of: "check: containment-time", with: "check: sometimes"), "c.yaml:13:", "unknown check \"sometimes\""),
            (Self.valid.replacingOccurrences(of: "statement:", with: "statment:"), "c.yaml:", "statment"),
            (Self.valid.replacingOccurrences(of: "p90_hours: 12.5", with: "p90_hours: 12.5\n        applies_to: [gamma]"), "c.yaml:15:", "unknown model \"gamma\""),
            (Self.valid + "\n      - id: OPS-1\n        title: {ja: a, en: b}\n        source: {ja: a, en: b}\n        statement: {ja: a, en: b}\n        check: manual\n        guidance: {ja: a, en: b}",
             "c.yaml:16:", "used twice (first at line 9)"),
            (Self.valid + "\n      - id: LOG-2\n        title: {ja: a, en: b}\n        source: {ja: a, en: b}\n        statement: {ja: a, en: b}\n        check: manual\n        guidance: {ja: a, en: b}",
             "c.yaml:16:", "prefix LOG, but this group's controls use OPS"),
        ]
        for (text, place, message) in cases {
            XCTAssertThrowsError(try ControlCatalogDecoder.decode(text, file: "c.yaml"), message) { error in
                let description = String(describing: error)
                XCTAssertTrue(description.contains(place) && description.contains(message), "expected \(place) … \(message), got: \(description)")
            }
        }
    }
}
