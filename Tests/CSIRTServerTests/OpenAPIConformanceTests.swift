import CSIRTApplication
import CSIRTServer
import Foundation
import HTTPTypes
import TestSupport
import XCTest
import Yams

/// What the server answers must be what openapi.yaml says: every status a route gives is
/// documented for that route, and every JSON body is valid against the schema documented for
/// that status and content type (JSON Schema 2020-12, as OpenAPI 3.1 defines it, checked with
/// python3-jsonschema). Every route is called at least once with success.
final class OpenAPIConformanceTests: XCTestCase {
    struct Sample {
        var method: String
        var template: String
        var status: Int
        var contentType: String
        var bytes: [UInt8]
    }

    func testEveryAnswerIsDocumentedAndMatchesItsSchema() async throws {
        let fixture = try ServerFixture()
        let folder = Repository.root + "/Examples/segmentation/alpha"
        let siteText = try String(contentsOfFile: folder + "/network.yaml", encoding: .utf8)
        var files: [String: String] = ["network.yaml": siteText]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where siteText.contains(name) && !name.hasSuffix(".yaml") {
            files[name] = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
        }
        let uploaded = files
        let playbookYAML = try String(contentsOfFile: Repository.root + "/Playbooks/malware.yaml", encoding: .utf8)

        let samples: [Sample] = try await fixture.test { client in
            var samples: [Sample] = []
            func call(_ method: HTTPRequest.Method, _ uri: String, _ template: String, as role: APIRole? = .admin, json: Any? = nil,
                      raw: [UInt8]? = nil, contentType: String? = nil, headers: HTTPFields = [:]) async throws -> APIClient.Reply {
                let reply = try await client.send(method, uri, as: role, json: json, raw: raw, contentType: contentType, headers: headers)
                samples.append(Sample(method: method.rawValue, template: template, status: Int(reply.status.code),
                                      contentType: reply.headers[.contentType] ?? "", bytes: reply.bytes))
                return reply
            }
            _ = try await call(.get, "/healthz", "/healthz", as: nil)
            _ = try await call(.get, "/metrics", "/metrics")
            _ = try await call(.get, "/openapi.yaml", "/openapi.yaml")

            // Incidents, with the errors each kind of request can meet.
            let opened = try await call(.post, "/v1/incidents", "/v1/incidents",
                                        json: ["title": "標的型メール", "category": "malware", "severity": "high", "segment": "internet",
                                               "personal_data": ["people": 12, "kinds": ["氏名"], "special_care": false, "financial_harm": false,
                                                                 "encrypted": false]])
            let id = try XCTUnwrap(opened.json["id"] as? String, opened.text)
            let step = try XCTUnwrap((opened.json["tasks"] as? [[String: Any]])?.first?["id"] as? String)
            _ = try await call(.post, "/v1/incidents", "/v1/incidents", json: ["title": "", "category": "malware", "severity": "high"])
            _ = try await call(.post, "/v1/incidents", "/v1/incidents", raw: Array("{\"title\":".utf8), contentType: "application/json")
            _ = try await call(.post, "/v1/incidents", "/v1/incidents", raw: Array("title".utf8), contentType: "text/plain")
            _ = try await call(.post, "/v1/incidents", "/v1/incidents", raw: [UInt8](repeating: 0x20, count: APIService.defaultMaxBodyBytes + 1),
                               contentType: "application/json")
            _ = try await call(.post, "/v1/incidents", "/v1/incidents", as: .auditor, json: ["title": "t"])
            _ = try await call(.get, "/v1/incidents", "/v1/incidents", as: nil)
            _ = try await call(.get, "/v1/incidents?limit=1", "/v1/incidents")
            _ = try await call(.get, "/v1/incidents?limit=zero", "/v1/incidents")
            let shown = try await call(.get, "/v1/incidents/\(id)", "/v1/incidents/{id}")
            _ = try await call(.get, "/v1/incidents/\(id)", "/v1/incidents/{id}", headers: [.ifNoneMatch: shown.headers[.eTag] ?? ""])
            _ = try await call(.get, "/v1/incidents/INC-2099-0001", "/v1/incidents/{id}")
            _ = try await call(.patch, "/v1/incidents/\(id)", "/v1/incidents/{id}", json: ["severity": "critical"])
            _ = try await call(.patch, "/v1/incidents/\(id)", "/v1/incidents/{id}", json: ["severity": "critical"], headers: [.ifMatch: "\"9\""])
            _ = try await call(.patch, "/v1/incidents/\(id)", "/v1/incidents/{id}", json: ["severity": "critical"], headers: [.ifMatch: "\"1\""])
            _ = try await call(.post, "/v1/incidents/\(id)/transitions", "/v1/incidents/{id}/transitions", json: ["action": "advance"])
            _ = try await call(.post, "/v1/incidents/\(id)/transitions", "/v1/incidents/{id}/transitions", json: ["action": "close"])
            _ = try await call(.post, "/v1/incidents/\(id)/notes", "/v1/incidents/{id}/notes", json: ["text": "端末を隔離"])
            _ = try await call(.post, "/v1/incidents/\(id)/steps/\(step)", "/v1/incidents/{id}/steps/{step}",
                               json: ["state": "skipped", "reason": "対象外"])
            _ = try await call(.post, "/v1/incidents/\(id)/steps/\(step)", "/v1/incidents/{id}/steps/{step}",
                               json: ["state": "skipped", "reason": "again"])
            _ = try await call(.get, "/v1/overdue?at=2099-01-01T00:00:00Z", "/v1/overdue")

            // Playbooks.
            _ = try await call(.get, "/v1/playbooks", "/v1/playbooks")
            _ = try await call(.get, "/v1/playbooks/malware", "/v1/playbooks/{id}")
            _ = try await call(.get, "/v1/playbooks/nothing", "/v1/playbooks/{id}")
            _ = try await call(.post, "/v1/playbooks/validate", "/v1/playbooks/validate", raw: Array(playbookYAML.utf8), contentType: "application/yaml")
            _ = try await call(.post, "/v1/playbooks/validate", "/v1/playbooks/validate", raw: Array("id: x\n".utf8), contentType: "application/yaml")

            // Checks.
            let run = try await call(.post, "/v1/checks/segmentation", "/v1/checks/segmentation", json: ["site": "network.yaml", "files": uploaded])
            let runID = try XCTUnwrap(run.json["run"] as? Int, run.text)
            _ = try await call(.post, "/v1/checks/segmentation", "/v1/checks/segmentation", json: ["site": "network.yaml"])
            _ = try await call(.get, "/v1/checks/segmentation", "/v1/checks/segmentation")
            _ = try await call(.get, "/v1/checks/segmentation/\(runID)", "/v1/checks/segmentation/{id}")
            _ = try await call(.get, "/v1/checks/segmentation/\(runID)?format=sarif", "/v1/checks/segmentation/{id}")
            _ = try await call(.get, "/v1/checks/segmentation/999", "/v1/checks/segmentation/{id}")

            // Reports, audit, tokens.
            _ = try await call(.post, "/v1/reports/compliance", "/v1/reports/compliance", json: ["format": "json", "lang": "en"])
            _ = try await call(.post, "/v1/reports/compliance", "/v1/reports/compliance", json: ["format": "pdf"])
            _ = try await call(.get, "/v1/audit/verify", "/v1/audit/verify")
            _ = try await call(.get, "/v1/audit/checkpoint", "/v1/audit/checkpoint")
            _ = try await call(.get, "/v1/audit/keys", "/v1/audit/keys")
            _ = try await call(.post, "/v1/tokens", "/v1/tokens", json: ["name": "ticketing", "role": "responder"])
            _ = try await call(.post, "/v1/tokens", "/v1/tokens", json: ["name": "ticketing", "role": "responder"])
            _ = try await call(.get, "/v1/tokens", "/v1/tokens")
            _ = try await call(.delete, "/v1/tokens/ticketing", "/v1/tokens/{name}")
            _ = try await call(.delete, "/v1/tokens/ticketing", "/v1/tokens/{name}")
            _ = try await call(.delete, "/v1/tokens/nobody", "/v1/tokens/{name}")
            return samples
        }

        let text = try String(contentsOfFile: Repository.root + "/Sources/CSIRTServer/openapi.yaml", encoding: .utf8)
        let document = try XCTUnwrap(try Yams.load(yaml: text) as? [String: Any])
        let paths = try XCTUnwrap(document["paths"] as? [String: [String: Any]])
        let components = try XCTUnwrap(document["components"] as? [String: Any])
        let sharedResponses = components["responses"] as? [String: [String: Any]] ?? [:]

        var checks: [[String: Any]] = []
        var succeeded = Set<String>()
        for sample in samples {
            let route = "\(sample.method) \(sample.template) → \(sample.status)"
            guard let operation = paths[sample.template]?[sample.method.lowercased()] as? [String: Any],
                  let responses = operation["responses"] as? [String: Any] else {
                XCTFail("\(route): no such operation in openapi.yaml")
                continue
            }
            guard var response = (responses[String(sample.status)] ?? responses["default"]) as? [String: Any] else {
                XCTFail("\(route): status not documented (\(String(decoding: sample.bytes.prefix(300), as: UTF8.self)))")
                continue
            }
            if let reference = response["$ref"] as? String {
                response = sharedResponses[String(reference.split(separator: "/").last ?? "")] ?? [:]
            }
            if (200..<300).contains(sample.status) { succeeded.insert("\(sample.method) \(sample.template)") }
            let content = response["content"] as? [String: Any] ?? [:]
            let mediaType = sample.contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if content.isEmpty {
                XCTAssertTrue(sample.bytes.isEmpty, "\(route): documented without a body, but one came")
                continue
            }
            guard let media = content.first(where: { $0.key.split(separator: ";").first.map(String.init) == mediaType })?.value as? [String: Any] else {
                XCTFail("\(route): content type \(sample.contentType) not documented (documented: \(content.keys.sorted()))")
                continue
            }
            guard mediaType.hasSuffix("json"), let schema = media["schema"] else { continue }
            let instance = try JSONSerialization.jsonObject(with: Data(sample.bytes), options: [.fragmentsAllowed])
            checks.append(["label": route, "schema": schema, "instance": instance])
        }
        let routes = Set(fixture.service.routeSignatures.map { "\($0.method) \($0.path)" })
        XCTAssertEqual(routes.subtracting(succeeded).sorted(), [], "routes this test never called with success")
        XCTAssertGreaterThan(checks.count, 40)

        let directory = TemporaryDirectory()
        let batch = directory.file("batch.json")
        try JSONSerialization.data(withJSONObject: ["components": components, "checks": checks]).write(to: URL(fileURLWithPath: batch))
        let result = try TestProcess.run("/usr/bin/env", ["python3", "-c", """
            import json, sys
            try:
                import jsonschema
            except ImportError:
                print("no jsonschema"); sys.exit(3)
            batch = json.load(open(sys.argv[1]))
            failures = 0
            for check in batch["checks"]:
                schema = dict(check["schema"]) if isinstance(check["schema"], dict) else {}
                schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
                schema["components"] = batch["components"]
                for error in jsonschema.Draft202012Validator(schema).iter_errors(check["instance"]):
                    failures += 1
                    print(check["label"] + ": " + "/".join(str(p) for p in error.absolute_path) + ": " + error.message[:300])
            print(f"{len(batch['checks'])} bodies checked, {failures} errors")
            sys.exit(1 if failures else 0)
            """, batch])
        if result.status == 3 { throw XCTSkip("python3-jsonschema is not installed (.ci/run installs it)") }
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
    }
}
