import CSIRTApplication
import Foundation
import HTTPTypes
import XCTest

/// Every route × every role: allowed roles get past authorization, the others get 403 and change
/// nothing; no token, a wrong token and a revoked token get 401.
final class RouteAccessTests: XCTestCase {
    static let permissions: [String: APIRole.Permission?] = [
        "open": nil, "any-token": nil,
        "read-incidents": .readIncidents, "change-incidents": .changeIncidents, "run-checks": .runChecks,
        "read-checks": .readChecks, "run-reports": .runReports, "verify-audit": .verifyAudit, "manage-tokens": .manageTokens,
    ]

    func testEveryRouteAndEveryRole() async throws {
        let fixture = try ServerFixture()
        let site = Repository.root + "/Examples/segmentation/alpha/network.yaml"
        let run = try fixture.app.checkSegmentation(siteFile: site, policyFile: nil, actor: "setup")
        let incident = try fixture.app.openIncident(NewIncident(title: "USB メモリ紛失", category: .lostMedia, severity: .medium), actor: "setup")
        let id = incident.incident.id.description
        let step = try XCTUnwrap(incident.tasks.first?.id)
        let playbook = try XCTUnwrap(fixture.app.playbookCatalog().playbooks.first?.id)
        _ = try fixture.app.createToken(name: "spare", role: .auditor, actor: "setup")  // what DELETE /v1/tokens/{name} revokes
        // Plain JSON literals, only read.
        nonisolated(unsafe) let bodies: [String: Any] = [
            "POST /v1/incidents": ["title": "t", "category": "malware", "severity": "low"],
            "PATCH /v1/incidents/{id}": ["severity": "high"],
            "POST /v1/incidents/{id}/transitions": ["action": "advance"],
            "POST /v1/incidents/{id}/notes": ["text": "確認中"],
            "POST /v1/incidents/{id}/steps/{step}": ["state": "skipped", "reason": "n/a"],
            "POST /v1/checks/segmentation": ["site": "s.yaml", "files": ["s.yaml": "x"]],
            "POST /v1/reports/compliance": ["format": "csv"],
            "POST /v1/tokens": ["name": "from-api", "role": "auditor"],
        ]
        let signatures = fixture.service.routeSignatures
        XCTAssertGreaterThanOrEqual(signatures.count, 20)

        try await fixture.test { client in
            for signature in signatures {
                let key = "\(signature.method) \(signature.path)"
                let uri = signature.path.replacingOccurrences(of: "/v1/checks/segmentation/{id}", with: "/v1/checks/segmentation/\(run.id!)")
                    .replacingOccurrences(of: "/v1/playbooks/{id}", with: "/v1/playbooks/\(playbook)")
                    .replacingOccurrences(of: "{id}", with: id).replacingOccurrences(of: "{step}", with: step)
                    .replacingOccurrences(of: "{name}", with: "spare")
                let method = HTTPRequest.Method(signature.method)!
                let permission = try XCTUnwrap(Self.permissions[signature.access], "unknown access \(signature.access)")
                let raw: [UInt8]? = signature.path == "/v1/playbooks/validate" ? Array("id: x\n".utf8) : nil
                let contentType = raw != nil ? "application/yaml" : nil

                for role in APIRole.allCases {
                    let before = try fixture.auditEntries().count
                    let reply = try await client.send(method, uri, as: role, json: bodies[key], raw: raw, contentType: contentType)
                    let allowed = permission.map(role.allows) ?? true
                    if allowed {
                        XCTAssertFalse([.unauthorized, .forbidden].contains(reply.status), "\(key) as \(role): \(reply.status) \(reply.text)")
                        XCTAssertNotEqual(reply.status, .internalServerError, "\(key) as \(role): \(reply.text)")
                    } else {
                        XCTAssertEqual(reply.status, .forbidden, "\(key) as \(role): \(reply.text)")
                        XCTAssertEqual(reply.headers[.contentType], "application/problem+json")
                        XCTAssertEqual(try fixture.auditEntries().count, before, "\(key) as \(role) was refused but changed the log")
                    }
                }
                if signature.access == "open" {
                    let reply = try await client.send(method, uri, as: nil)
                    XCTAssertEqual(reply.status, .ok, key)
                    continue
                }
                let anonymous = try await client.send(method, uri, as: nil, json: bodies[key])
                XCTAssertEqual(anonymous.status, .unauthorized, key)
                XCTAssertEqual(anonymous.headers[.wwwAuthenticate], "Bearer realm=\"csirt\"", key)
                XCTAssertEqual(anonymous.json["status"] as? Int, 401, key)
                let wrong = try await client.send(method, uri, as: nil, json: bodies[key],
                                                  headers: [.authorization: "Bearer csirt_" + String(repeating: "0", count: 64)])
                XCTAssertEqual(wrong.status, .unauthorized, key)
                let basic = try await client.send(method, uri, as: nil, headers: [.authorization: "Basic YWRtaW46YWRtaW4="])
                XCTAssertEqual(basic.status, .unauthorized, key)
            }

            // A revoked token stops working at once.
            try fixture.app.revokeToken(name: "auditor", actor: "setup")
            let revoked = try await client.send(.get, "/v1/incidents", as: .auditor)
            XCTAssertEqual(revoked.status, .unauthorized)
        }
    }
}
