import CSIRTApplication
import Foundation
import HTTPTypes
import Incidents
import XCTest

/// The API answers repeated reads from memory while the store's generation is unchanged. Every
/// change made elsewhere — here through a second `Application` on the same home, as the CLI in
/// another process would — must show on the very next request.
final class ReadCacheTests: XCTestCase {
    func testChangesMadeOutsideTheServerShowOnTheNextRead() async throws {
        let fixture = try ServerFixture()
        let other = try Application.open(home: fixture.home)  // another connection, like `csirt` in a shell
        try await fixture.test { client in
            let created = try await client.send(.post, "/v1/incidents", as: .responder,
                                                json: ["title": "USB stick lost", "category": "lost-media", "severity": "medium"])
            XCTAssertEqual(created.status, .created, created.text)
            let id = try XCTUnwrap(created.json["id"] as? String)

            // Read twice (the second from the cache), then change it outside the server.
            for _ in 0..<2 {
                let shown = try await client.send(.get, "/v1/incidents/\(id)", as: .auditor)
                XCTAssertEqual(shown.json["version"] as? Int, 1)
                let page = try await client.send(.get, "/v1/incidents?limit=10", as: .auditor)
                XCTAssertEqual((page.json["items"] as? [[String: Any]])?.first?["severity"] as? String, "medium")
            }
            var changes = IncidentChanges()
            changes.severity = .high
            _ = try other.update(id, changes: changes, actor: "cli-user")
            let shown = try await client.send(.get, "/v1/incidents/\(id)", as: .auditor)
            XCTAssertEqual(shown.json["version"] as? Int, 2, "a change from another process is seen at once")
            XCTAssertEqual(shown.json["severity"] as? String, "high")
            XCTAssertEqual(shown.headers[.eTag], "\"2\"")
            let page = try await client.send(.get, "/v1/incidents?limit=10", as: .auditor)
            XCTAssertEqual((page.json["items"] as? [[String: Any]])?.first?["severity"] as? String, "high")

            // A new incident from outside appears in the list the server had cached.
            _ = try other.openIncident(NewIncident(title: "phishing mail", category: .phishing, severity: .low), actor: "cli-user")
            let longer = try await client.send(.get, "/v1/incidents?limit=10", as: .auditor)
            XCTAssertEqual((longer.json["items"] as? [[String: Any]])?.count, 2)
        }
    }

    func testATokenRevokedOutsideTheServerFailsOnTheNextRequest() async throws {
        let fixture = try ServerFixture()
        let other = try Application.open(home: fixture.home)
        try await fixture.test { client in
            for _ in 0..<3 {
                let allowed = try await client.send(.get, "/v1/incidents", as: .auditor)
                XCTAssertEqual(allowed.status, .ok, allowed.text)
            }
            try other.revokeToken(name: APIRole.auditor.rawValue, actor: "cli-user")
            let refused = try await client.send(.get, "/v1/incidents", as: .auditor)
            XCTAssertEqual(refused.status, .unauthorized, "the remembered token must not outlive its revocation")
            let others = try await client.send(.get, "/v1/incidents", as: .officer)
            XCTAssertEqual(others.status, .ok)
        }
    }

    func testWhatPostAnswersIsWhatGetReadsBack() async throws {
        let fixture = try ServerFixture()
        try await fixture.test { client in
            // Fractions of a second near the next second, personal data (notification tasks) and a
            // playbook: what the create answers is built in memory, the GET is read from SQLite.
            let bodies: [[String: Any]] = [
                ["title": "lost laptop", "category": "lost-media", "severity": "high", "detected_at": "2026-11-01T09:59:59.9996Z",
                 "personal_data": ["people": 150, "kinds": ["name", "address"], "encrypted": false],
                 "assets": ["pc-0012"], "tags": ["x", "y"], "reporter": "佐藤", "assignee": "tanaka"],
                ["title": "malware on a terminal", "category": "malware", "severity": "critical", "segment": "lgwan",
                 "description": "EDR alert\nline two \"quoted\""],
                ["title": "other", "category": "other", "severity": "low", "detected_at": "2026-10-31T14:59:59.999Z"],
            ]
            for body in bodies {
                let created = try await client.send(.post, "/v1/incidents", as: .responder, json: body)
                XCTAssertEqual(created.status, .created, created.text)
                let id = try XCTUnwrap(created.json["id"] as? String)
                let shown = try await client.send(.get, "/v1/incidents/\(id)", as: .auditor)
                XCTAssertEqual(shown.text, created.text, "POST and the GET after it answer the same bytes")
                XCTAssertEqual(shown.headers[.eTag], created.headers[.eTag])
            }
        }
    }
}
