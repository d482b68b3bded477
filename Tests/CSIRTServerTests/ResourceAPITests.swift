import AuditLog
import CanonicalJSON
import CSIRTApplication
import Foundation
import HTTPTypes
import XCTest

/// Playbooks, segmentation checks, the audit log, health and metrics through the router.
final class ResourceAPITests: XCTestCase {
    func testSegmentationCheckOnUploadedFiles() async throws {
        let fixture = try ServerFixture()
        let folder = Repository.root + "/Examples/segmentation/alpha"
        let siteText = try String(contentsOfFile: folder + "/network-noncompliant.yaml", encoding: .utf8)
        var files: [String: String] = ["network.yaml": siteText]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where siteText.contains(name) && !name.hasSuffix(".yaml") {
            files[name] = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
        }
        XCTAssertGreaterThan(files.count, 1, "the example names its firewall files")
        let uploaded = files
        try await fixture.test { client in
            let run = try await client.send(.post, "/v1/checks/segmentation", as: .officer, json: ["site": "network.yaml", "files": uploaded])
            XCTAssertEqual(run.status, .created, run.text)
            XCTAssertEqual(run.json["compliant"] as? Bool, false)
            XCTAssertGreaterThan(run.json["violations"] as? Int ?? 0, 0)
            let runID = try XCTUnwrap(run.json["run"] as? Int)
            XCTAssertEqual(run.headers[.location], "/v1/checks/segmentation/\(runID)")
            let findings = try XCTUnwrap(run.json["findings"] as? [[String: Any]])
            let located = findings.compactMap { ($0["location"] as? [String: Any])?["file"] as? String }
            XCTAssertTrue(located.allSatisfy { uploaded[$0] != nil || $0.isEmpty || $0.hasSuffix(".yaml") }, "findings name the uploaded files: \(located)")

            let listed = try await client.send(.get, "/v1/checks/segmentation", as: .auditor)
            XCTAssertEqual((listed.json["items"] as? [[String: Any]])?.first?["id"] as? Int, runID)
            let stored = try await client.send(.get, "/v1/checks/segmentation/\(runID)", as: .auditor)
            XCTAssertEqual(stored.status, .ok)
            XCTAssertEqual(stored.json["violations"] as? Int, run.json["violations"] as? Int)
            let sarif = try await client.send(.get, "/v1/checks/segmentation/\(runID)", as: .auditor, headers: [.accept: "application/sarif+json"])
            XCTAssertEqual(sarif.headers[.contentType], "application/sarif+json")
            XCTAssertEqual(sarif.json["version"] as? String, "2.1.0")
            let sarifQuery = try await client.send(.get, "/v1/checks/segmentation/\(runID)?format=sarif", as: .auditor)
            XCTAssertEqual(sarifQuery.bytes, sarif.bytes)
            let entries = try fixture.auditEntries().filter { $0["action"]?.stringValue == "check.segmentation" }
            XCTAssertEqual(entries.last?["actor"]?.stringValue, "officer")

            // /metrics carries the last check's result per site.
            let site = try XCTUnwrap(run.json["site"] as? String)
            let metrics = try await client.send(.get, "/metrics", as: .auditor)
            XCTAssertTrue(metrics.text.contains("csirt_segmentation_last_check_compliant{site=\"\(site)\"} 0"), metrics.text)
            XCTAssertTrue(metrics.text.contains("csirt_segmentation_last_check_violations{site=\"\(site)\"} \(run.json["violations"] as? Int ?? -1)"),
                          metrics.text)
            XCTAssertTrue(metrics.text.contains("csirt_segmentation_last_check_timestamp_seconds{site=\"\(site)\"} "), metrics.text)

            // The server never reads its own disk for a request.
            let escape = siteText.replacingOccurrences(of: "file: ", with: "file: ../../../../etc/")
            let outside = try await client.send(.post, "/v1/checks/segmentation", as: .officer,
                                                json: ["site": "network.yaml", "files": ["network.yaml": escape]])
            XCTAssertEqual(outside.status, .unprocessableContent, outside.text)
            XCTAssertTrue((outside.json["detail"] as? String ?? "").contains("not among the uploaded files"), outside.text)
            let policy = try await client.send(.post, "/v1/checks/segmentation", as: .officer,
                                               json: ["site": "network.yaml", "files": uploaded, "policy": "../../etc/passwd"])
            XCTAssertEqual(policy.status, .notFound, policy.text)
            let notFound = try await client.send(.get, "/v1/checks/segmentation/999", as: .auditor)
            XCTAssertEqual(notFound.status, .notFound)
            let noFiles = try await client.send(.post, "/v1/checks/segmentation", as: .officer, json: ["site": "network.yaml"])
            XCTAssertEqual(noFiles.status, .unprocessableContent)
            XCTAssertEqual(try fixture.app.segmentationRuns(limit: 10).count, 1, "refused checks are not stored")
        }
    }

    func testTokensThroughTheAPI() async throws {
        let fixture = try ServerFixture()
        try await fixture.test { client in
            let created = try await client.send(.post, "/v1/tokens", as: .admin, json: ["name": "monitoring", "role": "auditor"])
            XCTAssertEqual(created.status, .created, created.text)
            let secret = try XCTUnwrap(created.json["token"] as? String)
            XCTAssertNotNil(secret.wholeMatch(of: /csirt_[0-9a-f]{64}/), secret)
            let bearer: HTTPFields = [.authorization: "Bearer \(secret)"]
            let read = try await client.send(.get, "/v1/incidents", as: nil, headers: bearer)
            XCTAssertEqual(read.status, .ok, "the new token works at once")
            let change = try await client.send(.post, "/v1/incidents", as: nil, json: ["title": "t", "category": "malware", "severity": "low"],
                                               headers: bearer)
            XCTAssertEqual(change.status, .forbidden, "with the role it was given")

            let again = try await client.send(.post, "/v1/tokens", as: .admin, json: ["name": "monitoring", "role": "admin"])
            XCTAssertEqual(again.status, .conflict, again.text)
            let badRole = try await client.send(.post, "/v1/tokens", as: .admin, json: ["name": "x", "role": "root"])
            XCTAssertEqual(badRole.status, .unprocessableContent, badRole.text)
            XCTAssertTrue(badRole.text.contains("/role"), badRole.text)
            for name in ["Has Space", "..", String(repeating: "a", count: 65)] {
                let badName = try await client.send(.post, "/v1/tokens", as: .admin, json: ["name": name, "role": "auditor"])
                XCTAssertEqual(badName.status, .unprocessableContent, badName.text)
                XCTAssertTrue(badName.text.contains("\"/name\""), badName.text)
            }

            let listed = try await client.send(.get, "/v1/tokens", as: .admin)
            let items = try XCTUnwrap(listed.json["items"] as? [[String: Any]])
            let monitoring = try XCTUnwrap(items.first { $0["name"] as? String == "monitoring" })
            XCTAssertEqual(monitoring["role"] as? String, "auditor")
            XCTAssertEqual(monitoring["created_by"] as? String, "admin")
            XCTAssertTrue(monitoring["revoked_at"] is NSNull)
            XCTAssertFalse(listed.text.contains(secret), "a list never shows a secret")

            let revoked = try await client.send(.delete, "/v1/tokens/monitoring", as: .admin)
            XCTAssertEqual(revoked.status, .ok, revoked.text)
            XCTAssertNotNil(revoked.json["revoked_at"] as? String)
            let after = try await client.send(.get, "/v1/incidents", as: nil, headers: bearer)
            XCTAssertEqual(after.status, .unauthorized, "a revoked token stops at once")
            let twice = try await client.send(.delete, "/v1/tokens/monitoring", as: .admin)
            XCTAssertEqual(twice.status, .conflict, twice.text)
            let unknown = try await client.send(.delete, "/v1/tokens/nobody", as: .admin)
            XCTAssertEqual(unknown.status, .notFound, unknown.text)

            let entries = try fixture.auditEntries().filter { $0["target"]?.stringValue == "token/monitoring" }
            XCTAssertEqual(entries.map { $0["action"]?.stringValue }, ["token.create", "token.revoke"])
            XCTAssertEqual(Set(entries.map { $0["actor"]?.stringValue }), ["admin"])
            XCTAssertFalse(try String(contentsOfFile: fixture.home.auditLogPath, encoding: .utf8).contains(secret))
        }
    }

    func testPlaybooksAuditHealthAndMetrics() async throws {
        let fixture = try ServerFixture()
        try await fixture.test { client in
            let list = try await client.send(.get, "/v1/playbooks", as: .responder)
            let items = try XCTUnwrap(list.json["items"] as? [[String: Any]])
            XCTAssertFalse(items.isEmpty)
            let first = try XCTUnwrap(items.first?["id"] as? String)
            let one = try await client.send(.get, "/v1/playbooks/\(first)", as: .responder)
            XCTAssertEqual(one.json["id"] as? String, first)
            let unknown = try await client.send(.get, "/v1/playbooks/no-such", as: .responder)
            XCTAssertEqual(unknown.status, .notFound)

            let malware = try String(contentsOfFile: Repository.root + "/Playbooks/malware.yaml", encoding: .utf8)
            let valid = try await client.send(.post, "/v1/playbooks/validate", as: .responder, raw: Array(malware.utf8), contentType: "application/yaml")
            XCTAssertEqual(valid.status, .ok, valid.text)
            XCTAssertEqual(valid.json["valid"] as? Bool, true)
            let broken = malware.replacingOccurrences(of: "version:", with: "versoin:")
            let invalid = try await client.send(.post, "/v1/playbooks/validate", as: .responder, raw: Array(broken.utf8), contentType: "application/yaml")
            XCTAssertEqual(invalid.status, .unprocessableContent, invalid.text)
            let errors = try XCTUnwrap(invalid.json["errors"] as? [[String: Any]])
            XCTAssertNotNil(errors.first?["line"] as? Int, invalid.text)

            // An alias bomb: a few hundred bytes that would keep the YAML parser busy for hours.
            var bomb = "a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n"
            for level in 1...11 { bomb += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ",") + "]\n" }
            bomb += "? *a11\n: 0\n"
            let refused = try await client.send(.post, "/v1/playbooks/validate", as: .responder, raw: Array(bomb.utf8), contentType: "application/yaml")
            XCTAssertEqual(refused.status, .unprocessableContent, refused.text)
            XCTAssertTrue(refused.text.contains("anchors"), refused.text)
            XCTAssertEqual((refused.json["errors"] as? [[String: Any]])?.first?["line"] as? Int, 1)

            let health = try await client.send(.get, "/healthz", as: nil)
            XCTAssertEqual(health.json["status"] as? String, "ok")

            let verify = try await client.send(.get, "/v1/audit/verify", as: .auditor)
            XCTAssertEqual(verify.json["ok"] as? Bool, true, verify.text)
            let checkpoint = try await client.send(.get, "/v1/audit/checkpoint", as: .auditor)
            XCTAssertEqual((checkpoint.json["head"] as? String)?.count, 64, checkpoint.text)
            let keys = try await client.send(.get, "/v1/audit/keys", as: .auditor)
            XCTAssertEqual((keys.json["items"] as? [[String: Any]])?.first?["status"] as? String, "active", keys.text)

            _ = try await client.open("metrics", severity: "critical")
            let metrics = try await client.send(.get, "/metrics", as: .officer)
            XCTAssertEqual(metrics.status, .ok)
            XCTAssertTrue(metrics.text.contains("csirt_open_incidents{severity=\"critical\"} 1"), metrics.text)
            XCTAssertTrue(metrics.text.contains("csirt_http_requests_total{"), metrics.text)
            XCTAssertTrue(metrics.text.contains("route=\"/v1/playbooks/{id}\"") || metrics.text.contains("route=\"/v1/playbooks/:id\""), metrics.text)
            XCTAssertTrue(metrics.text.contains("csirt_http_request_duration_seconds_bucket"), metrics.text)
        }
    }

    func testComplianceReportThroughTheAPI() async throws {
        let fixture = try ServerFixture()
        _ = try fixture.app.checkSegmentation(siteFile: Repository.root + "/Examples/segmentation/alpha/network-noncompliant.yaml", policyFile: nil, actor: "setup")
        try await fixture.test { client in
            let untilNow = RFC3339.format(Date().addingTimeInterval(3_600))  // a time: the period ends now
            let reply = try await client.send(.post, "/v1/reports/compliance", as: .officer,
                                              json: ["from": "2026-01-01", "to": untilNow, "format": "json", "lang": "en", "sign": true])
            XCTAssertEqual(reply.status, .ok, reply.text)
            XCTAssertEqual(reply.headers[.contentType], "application/json")
            XCTAssertEqual(reply.headers[HTTPField.Name("Csirt-Result")!], "fail", "the example site violates its policy")
            let controls = try XCTUnwrap(reply.json["controls"] as? [[String: Any]])
            XCTAssertEqual(controls.first { $0["id"] as? String == "TL-1" }?["status"] as? String, "fail")
            XCTAssertEqual(Data(base64Encoded: reply.headers[HTTPField.Name("Csirt-Signature")!] ?? "")?.count, 64, "an Ed25519 signature")
            let entry = try XCTUnwrap(fixture.auditEntries().last { $0["action"]?.stringValue == "report.compliance" })
            XCTAssertEqual(entry["actor"]?.stringValue, "officer", "the token's name is the actor")
            XCTAssertEqual(entry["details"]?["format"]?.stringValue, "json")
            XCTAssertEqual(entry["details"]?["sha256"]?.stringValue, Digest(hashing: reply.bytes).hex, "the entry names the bytes answered")
            XCTAssertEqual(reply.headers[HTTPField.Name("Csirt-Audit-Head")!],
                           "\(entry["details"]?["audit_head_seq"]?.integerValue ?? -1) \(entry["details"]?["audit_head"]?.stringValue ?? "")")

            let html = try await client.send(.post, "/v1/reports/compliance", as: .admin, json: ["format": "html", "lang": "ja"])
            XCTAssertEqual(html.status, .ok, html.text)
            XCTAssertEqual(html.headers[.contentType], "text/html; charset=utf-8")
            XCTAssertTrue(html.text.hasPrefix("<!DOCTYPE html>"))

            let bad = try await client.send(.post, "/v1/reports/compliance", as: .officer, json: ["format": "pdf", "from": "2026-01-01", "colour": "red"])
            XCTAssertEqual(bad.status, .unprocessableContent, bad.text)
            let pointers = ((bad.json["errors"] as? [[String: Any]]) ?? []).compactMap { $0["pointer"] as? String }.sorted()
            XCTAssertEqual(pointers, ["/colour", "/format", "/to"], bad.text)
            let responder = try await client.send(.post, "/v1/reports/compliance", as: .responder, json: [:])
            XCTAssertEqual(responder.status, .forbidden)
        }
    }
}
