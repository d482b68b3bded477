import Foundation
import Incidents
import YAMLFormats
import XCTest

final class PlaybookDecoderTests: XCTestCase {
    let valid = """
        id: malware
        version: 2
        title:
          ja: マルウェア感染
          en: Malware infection
        categories: [malware]
        phases:
          triage:
            - id: confirm
              title: {ja: 確認, en: Confirm}
              do: {ja: 確認する, en: Check it}
              role: responder
              due: PT1H
              from: detection
          containment:
            - id: isolate
              title: {ja: 隔離, en: Isolate}
              do: {ja: 抜線する, en: Unplug it}
              role: responder
              evidence: true
              required: false
              due: PT2H
        notifications:
          - id: ciso
            to: ciso
            title: {ja: CISO報告, en: Tell the CISO}
            due: PT4H
            when: {min-severity: high, segments: [mynumber, lgwan]}
        """

    func testDecodesAValidPlaybook() throws {
        let playbook = try PlaybookDecoder.decode(valid, file: "malware.yaml")
        XCTAssertEqual(playbook.id, "malware")
        XCTAssertEqual(playbook.version, 2)
        XCTAssertEqual(playbook.categories, [.malware])
        XCTAssertEqual(playbook.steps.map(\.step.id), ["confirm", "isolate"])
        XCTAssertEqual(playbook.steps[0].step.from, .detection)
        XCTAssertEqual(playbook.steps[1].step.from, .phase)
        XCTAssertFalse(playbook.steps[1].step.required)
        XCTAssertTrue(playbook.steps[1].step.evidenceRequired)
        XCTAssertEqual(playbook.notifications[0].when, Condition(minSeverity: .high, segments: [.mynumber, .lgwan]))
    }

    /// Each mistake is reported at its line and column.
    func testProblemsAreLocated() {
        let cases: [(String, String, Int, Int, String)] = [
            ("due: PT2H", "due: 2 hours", 22, 12, "not an ISO 8601 duration"),
            ("due: PT2H", "due: P1M", 22, 12, "years or months"),
            ("    role: responder\n      evidence", "    role: janitor\n      evidence", 19, 13, "unknown role \"janitor\""),
            ("- id: isolate", "- id: confirm", 16, 11, "id \"confirm\" is used twice"),
            ("    to: ciso", "    to: ppc", 25, 9, "reports to the PPC"),
            ("categories: [malware]", "categories: [malware, flood]", 6, 23, "unknown category \"flood\""),
            ("      evidence: true", "      evidence: yes please", 20, 17, "must be true or false"),
            ("version: 2", "version: two", 2, 10, "version must be an integer"),
            ("- id: isolate", "- id: ppc-final", 16, 11, "reserved for the PPC reports"),
            ("  en: Malware infection", "  english: Malware infection", 5, 3, "unknown key \"english\""),
        ]
        for (original, replacement, line, column, fragment) in cases {
            let text = valid.replacingOccurrences(of: original, with: replacement)
            XCTAssertNotEqual(text, valid, "fixture: \(original)")
            do {
                _ = try PlaybookDecoder.decode(text, file: "p.yaml")
                XCTFail("accepted: \(replacement)")
            } catch {
                let match = error.problems.first { $0.message.contains(fragment) }
                XCTAssertNotNil(match, "\(replacement): \(error)")
                XCTAssertEqual(match?.line, line, "\(replacement): \(error)")
                XCTAssertEqual(match?.column, column, "\(replacement): \(error)")
                XCTAssertTrue(match?.description.hasPrefix("p.yaml:\(line):\(column): ") == true)
            }
        }
    }

    func testSyntaxErrorsAndMissingKeys() {
        XCTAssertThrowsError(try PlaybookDecoder.decode("id: [unclosed\n", file: "bad.yaml")) { error in
            let problem = (error as! YAMLProblems).problems[0]
            XCTAssertTrue(problem.message.hasPrefix("YAML syntax"), problem.description)
            XCTAssertEqual(problem.line, 2)
        }
        XCTAssertThrowsError(try PlaybookDecoder.decode("", file: "empty.yaml"))
        XCTAssertThrowsError(try PlaybookDecoder.decode("id: x\nversion: 1\n", file: "short.yaml")) { error in
            let messages = (error as! YAMLProblems).problems.map(\.message)
            XCTAssertTrue(messages.contains("the playbook lacks \"title\""), "\(messages)")
            XCTAssertTrue(messages.contains("the playbook lacks \"phases\""), "\(messages)")
        }
    }

    /// Every playbook shipped in Playbooks/ is valid, and together they cover every category once.
    func testShippedPlaybooks() throws {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        let directory = url.appendingPathComponent("Playbooks").path
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 10, "at least ten playbooks ship")
        var covered: [IncidentCategory: String] = [:]
        for file in files {
            let path = directory + "/" + file
            let text = try String(contentsOfFile: path, encoding: .utf8)
            do {
                let playbook = try PlaybookDecoder.decode(text, file: path)
                XCTAssertEqual(playbook.id + ".yaml", file)
                for category in playbook.categories {
                    XCTAssertNil(covered[category], "\(category.rawValue) in \(file) and \(covered[category] ?? "")")
                    covered[category] = file
                }
                XCTAssertFalse(playbook.notifications.isEmpty, "\(file) notifies nobody")
            } catch {
                XCTFail("\(error)")
            }
        }
        XCTAssertEqual(Set(covered.keys), Set(IncidentCategory.allCases), "every category has a playbook")
    }
}
