import CanonicalJSON
import CSIRTApplication
import Foundation
import Incidents
import TestSupport
import XCTest

/// The API's direct JSON writer must give exactly the bytes of the shared representation.
final class IncidentJSONTests: XCTestCase {
    func testDirectWriterMatchesTheCanonicalRepresentation() throws {
        let directory = TemporaryDirectory()
        let home = CSIRTHome(root: directory.file("home"))
        _ = try Application.initialize(home: home, signingKeyPath: nil, actor: "setup")
        let app = try Application.open(home: home)
        var new = NewIncident(title: "個人情報を含む \"USB\" の紛失\n\t(控え: a\\b \u{1})", category: .lostMedia, severity: .critical)
        new.description = "説明 — with a quote \" and a slash /"
        new.segment = .lgwan
        new.assets = ["USB-01", "ノートPC"]
        new.personalData = PersonalData(people: 230, kinds: ["name", "address"], specialCare: true, financialHarm: false, wrongfulPurpose: nil, encrypted: false)
        new.assignee = "佐藤"
        new.tags = ["夜間", "tag,with,commas"]
        let first = try app.openIncident(new, actor: "tester")
        let plain = try app.openIncident(NewIncident(title: "plain", category: .other, severity: .low), actor: "tester")
        let id = first.incident.id.description
        _ = try app.advance(id, to: nil, reason: nil, at: nil, actor: "tester")
        let step = try XCTUnwrap(first.tasks.first { $0.kind == .step }?.id)
        _ = try app.updateStep(id, step: step, outcome: .skipped(reason: "理由 \"x\""), actor: "tester")
        _ = try app.addNote(id, text: "line one\nline two", actor: "tester")

        for incidentID in [id, plain.incident.id.description] {
            let detail = try app.incident(incidentID)
            for now in [Date(), Date().addingTimeInterval(86_400 * 400)] {
                var direct: [UInt8] = []
                IncidentJSON.write(detail, at: now, to: &direct)
                XCTAssertEqual(String(decoding: direct, as: UTF8.self),
                               String(decoding: CanonicalJSON.serialize(IncidentRepresentation.json(detail, at: now)), as: UTF8.self))
            }
            var summary: [UInt8] = Array("prefix,".utf8)
            IncidentJSON.write(detail.incident, to: &summary)
            XCTAssertEqual(String(decoding: summary, as: UTF8.self),
                           "prefix," + String(decoding: CanonicalJSON.serialize(IncidentRepresentation.json(detail.incident)), as: UTF8.self))
        }
    }
}
