import CanonicalJSON
import CSIRTApplication
import Foundation
import HTTPTypes
import XCTest

/// The incident routes end to end through the router: lifecycle, versions, errors, pagination.
final class IncidentAPITests: XCTestCase {
    func testLifecycleWithVersionsAndOneAuditEntryPerChange() async throws {
        let fixture = try ServerFixture()
        try await fixture.test { client in
            let created = try await client.send(.post, "/v1/incidents", as: .responder, json: [
                "title": "ランサムウェア感染の疑い", "category": "ransomware", "severity": "critical", "segment": "lgwan",
                "assets": ["PC-0123"], "personal_data": ["people": 120, "kinds": ["name", "address"]], "tags": ["夜間"],
            ])
            XCTAssertEqual(created.status, .created, created.text)
            let id = try XCTUnwrap(created.json["id"] as? String)
            XCTAssertEqual(created.headers[.location], "/v1/incidents/\(id)")
            XCTAssertEqual(created.headers[.eTag], "\"1\"")
            XCTAssertEqual(created.json["reporter"] as? String, "responder")
            XCTAssertFalse((created.json["tasks"] as? [Any] ?? []).isEmpty, "the ransomware playbook's steps")

            let shown = try await client.send(.get, "/v1/incidents/\(id)", as: .auditor)
            XCTAssertEqual(shown.status, .ok)
            XCTAssertEqual(shown.json["title"] as? String, "ランサムウェア感染の疑い")
            let notModified = try await client.send(.get, "/v1/incidents/\(id)", as: .auditor, headers: [.ifNoneMatch: "\"1\""])
            XCTAssertEqual(notModified.status, .notModified)

            let noIfMatch = try await client.send(.patch, "/v1/incidents/\(id)", as: .responder, json: ["severity": "high"])
            XCTAssertEqual(noIfMatch.status, .preconditionRequired)
            let mixed = try await client.send(.patch, "/v1/incidents/\(id)", as: .responder, json: ["severity": "high", "assignee": "sato"],
                                              headers: [.ifMatch: "\"1\""])
            XCTAssertEqual(mixed.status, .unprocessableContent, mixed.text)
            let patched = try await client.send(.patch, "/v1/incidents/\(id)", as: .responder, json: ["severity": "high"],
                                                headers: [.ifMatch: "\"1\""])
            XCTAssertEqual(patched.status, .ok, patched.text)
            XCTAssertEqual(patched.headers[.eTag], "\"2\"")
            let assigned = try await client.send(.patch, "/v1/incidents/\(id)", as: .responder, json: ["assignee": "sato"], headers: [.ifMatch: "*"])
            XCTAssertEqual(assigned.status, .ok, assigned.text)
            XCTAssertEqual(assigned.json["assignee"] as? String, "sato")
            XCTAssertEqual(assigned.headers[.eTag], "\"3\"")
            let stale = try await client.send(.patch, "/v1/incidents/\(id)", as: .responder, json: ["severity": "low"], headers: [.ifMatch: "\"1\""])
            XCTAssertEqual(stale.status, .preconditionFailed, stale.text)
            XCTAssertEqual(stale.headers[.contentType], "application/problem+json")

            let advanced = try await client.send(.post, "/v1/incidents/\(id)/transitions", as: .responder, json: ["action": "advance"])
            XCTAssertEqual(advanced.status, .ok, advanced.text)
            XCTAssertEqual(advanced.json["status"] as? String, "triage")
            let illegal = try await client.send(.post, "/v1/incidents/\(id)/transitions", as: .responder, json: ["action": "close"])
            XCTAssertEqual(illegal.status, .conflict, illegal.text)
            XCTAssertTrue((illegal.json["detail"] as? String ?? "").contains("cannot close from triage"), illegal.text)
            let reopen = try await client.send(.post, "/v1/incidents/\(id)/transitions", as: .responder, json: ["action": "reopen", "reason": "x"])
            XCTAssertEqual(reopen.status, .conflict)

            let note = try await client.send(.post, "/v1/incidents/\(id)/notes", as: .responder, json: ["text": "ネットワークから隔離済み"])
            XCTAssertEqual(note.status, .created)
            let tasks = try XCTUnwrap(note.json["tasks"] as? [[String: Any]])
            let step = try XCTUnwrap(tasks.first { ($0["state"] as? String) == "open" }?["id"] as? String)
            let skipped = try await client.send(.post, "/v1/incidents/\(id)/steps/\(step)", as: .responder, json: ["state": "skipped", "reason": "該当なし"])
            XCTAssertEqual(skipped.status, .ok, skipped.text)
            let again = try await client.send(.post, "/v1/incidents/\(id)/steps/\(step)", as: .responder, json: ["state": "skipped", "reason": "x"])
            XCTAssertEqual(again.status, .conflict)
            let noStep = try await client.send(.post, "/v1/incidents/\(id)/steps/no-such-step", as: .responder, json: ["state": "done"])
            XCTAssertEqual(noStep.status, .notFound)

            // One audit entry per accepted change, with the token's name as the actor.
            let entries = try fixture.auditEntries().filter { $0["target"]?.stringValue == id }
            XCTAssertEqual(entries.compactMap { $0["action"]?.stringValue },
                           ["incident.open", "incident.update", "incident.assign", "incident.advance", "incident.note", "incident.step"])
            XCTAssertTrue(entries.allSatisfy { $0["actor"]?.stringValue == "responder" })
        }
    }

    /// JSON has one kind of number, and JSON Schema's integer is any whole one: 1e2 and 3.0 count.
    func testWholeNumbersWrittenWithAFractionOrExponentAreIntegers() async throws {
        let fixture = try ServerFixture()
        try await fixture.test { client in
            for (written, people) in [("1e2", 100), ("3.0", 3), ("12", 12)] {
                let body = "{\"title\":\"t\",\"category\":\"malware\",\"severity\":\"low\",\"personal_data\":{\"people\":\(written)}}"
                let reply = try await client.send(.post, "/v1/incidents", as: .responder, raw: Array(body.utf8), contentType: "application/json")
                XCTAssertEqual(reply.status, .created, reply.text)
                XCTAssertEqual((reply.json["personal_data"] as? [String: Any])?["people"] as? Int, people, reply.text)
            }
        }
    }

    func testBadRequestsGetClearProblemsAndChangeNothing() async throws {
        let fixture = try ServerFixture(maxBodyBytes: 4_096)
        try await fixture.test { client in
            let id = try await client.open()
            let before = try fixture.auditEntries().count
            func problem(_ reply: APIClient.Reply, _ status: HTTPResponse.Status, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
                XCTAssertEqual(reply.status, status, reply.text, file: file, line: line)
                XCTAssertEqual(reply.headers[.contentType], "application/problem+json", file: file, line: line)
                XCTAssertEqual(reply.json["status"] as? Int, Int(status.code), file: file, line: line)
                XCTAssertEqual(reply.json["type"] as? String, "about:blank", file: file, line: line)
                XCTAssertTrue((reply.json["detail"] as? String ?? "").contains(fragment), "\(reply.text) lacks \(fragment)", file: file, line: line)
            }
            let post = { (raw: [UInt8], type: String?) in try await client.send(.post, "/v1/incidents", as: .responder, raw: raw, contentType: type) }
            problem(try await post(Array("{\"title\": ".utf8), "application/json"), .badRequest, "not valid JSON")
            problem(try await post([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d], "application/json"), .badRequest, "UTF-8")
            problem(try await post(Array("{}".utf8), "text/plain"), .unsupportedMediaType, "text/plain")
            problem(try await post(Array("{}".utf8), nil), .unsupportedMediaType, "no Content-Type")
            problem(try await post(Array("{}".utf8), "application/json; charset=latin1"), .unsupportedMediaType, "charset")
            problem(try await post(Array("[1, 2]".utf8), "application/json"), .unprocessableContent, "expected a JSON object")
            // Nesting 1,900 deep (within the 4 KiB limit): refused as a problem, no stack overflow.
            let deep = "{\"title\": " + String(repeating: "[", count: 1_900) + String(repeating: "]", count: 1_900) + "}"
            let nested = try await post(Array(deep.utf8), "application/json")
            problem(nested, .badRequest, "not valid JSON")
            problem(try await post(Array(("{\"title\": \"" + String(repeating: "x", count: 5_000) + "\"}").utf8), "application/json"),
                    .contentTooLarge, "limit")

            // Field-level detail: every problem, each with its JSON Pointer.
            let invalid = try await client.send(.post, "/v1/incidents", as: .responder, json: [
                "title": 42, "category": "alien", "severity": "high", "colour": "red",
                "personal_data": ["people": 1e300, "kinds": "name"],
            ])
            problem(invalid, .unprocessableContent, "/colour")
            let errors = try XCTUnwrap(invalid.json["errors"] as? [[String: Any]])
            let pointers = Set(errors.compactMap { $0["pointer"] as? String })
            XCTAssertEqual(pointers, ["/title", "/category", "/colour", "/personal_data/people", "/personal_data/kinds"], invalid.text)
            let huge = try await post(Array("{\"title\":\"t\",\"category\":\"malware\",\"severity\":\"low\",\"personal_data\":{\"people\":1e400}}".utf8), "application/json")
            problem(huge, .unprocessableContent, "/personal_data/people")
            // JSON has one kind of number, but 1.5 people is not a count (1e2 is: see the next test).
            problem(try await post(Array("{\"title\":\"t\",\"category\":\"malware\",\"severity\":\"low\",\"personal_data\":{\"people\":1.5}}".utf8),
                                   "application/json"), .unprocessableContent, "/personal_data/people")
            // SQLite would keep the text up to a NUL: refused rather than stored shorter than accepted.
            let nul = try await post(Array("{\"title\":\"a\\u0000b\",\"category\":\"dos\",\"severity\":\"low\",\"tags\":[\"x\\u0000\"]}".utf8),
                                     "application/json")
            problem(nul, .unprocessableContent, "/title: contains a NUL character")
            let nulErrors = try XCTUnwrap(nul.json["errors"] as? [[String: Any]]).map { "\($0["pointer"] ?? "")|\($0["detail"] ?? "")" }
            XCTAssertEqual(nulErrors, ["/title|contains a NUL character (\\u0000)", "/tags/0|contains a NUL character (\\u0000)"], nul.text)
            let missing = try await client.send(.post, "/v1/incidents", as: .responder, json: ["title": "  "])
            problem(missing, .unprocessableContent, "required")
            let blank = try await client.send(.post, "/v1/incidents", as: .responder, json: ["title": "  ", "category": "dos", "severity": "low"])
            problem(blank, .unprocessableContent, "the title is empty")

            problem(try await client.send(.get, "/v1/incidents/INC-2020-9999", as: .responder), .notFound, "no such incident")
            problem(try await client.send(.get, "/v1/incidents/not-an-id", as: .responder), .notFound, "not an incident id")
            problem(try await client.send(.get, "/v1/nowhere", as: .responder), .notFound, "no such resource")
            let delete = try await client.send(.delete, "/v1/incidents/\(id)", as: .responder)
            problem(delete, .methodNotAllowed, "not DELETE")
            XCTAssertEqual(delete.headers[.allow], "GET, PATCH")
            problem(try await client.send(.patch, "/v1/incidents/\(id)", as: .responder, json: ["severity": "low"], headers: [.ifMatch: "W/\"1\""]),
                    .preconditionFailed, "weak")
            problem(try await client.send(.patch, "/v1/incidents/\(id)", as: .responder, json: ["severity": "low"], headers: [.ifMatch: "v1"]),
                    .badRequest, "If-Match")
            problem(try await client.send(.patch, "/v1/incidents/\(id)", as: .responder, json: ["title": NSNull(), "severity": "low"],
                                          headers: [.ifMatch: "*"]), .unprocessableContent, "/title: may not be null")
            problem(try await client.send(.get, "/v1/incidents?limit=0", as: .responder), .badRequest, "limit")
            problem(try await client.send(.get, "/v1/incidents?severity=urgent", as: .responder), .badRequest, "severity=urgent")
            problem(try await client.send(.get, "/v1/incidents?sort=id", as: .responder), .badRequest, "unknown query parameter")
            // Times as plausible as on the CLI: 2000 to 2200, with a zone.
            problem(try await client.send(.post, "/v1/incidents", as: .responder,
                                          json: ["title": "t", "category": "dos", "severity": "low", "detected_at": "0001-01-01T00:00:00Z"]),
                    .unprocessableContent, "/detected_at")
            problem(try await client.send(.get, "/v1/incidents?from=2026-11-23", as: .responder), .badRequest, "from=2026-11-23")
            problem(try await client.send(.post, "/v1/incidents/\(id)/transitions", as: .responder, json: ["action": "close", "force": "yes"]),
                    .unprocessableContent, "/force")
            XCTAssertEqual(try fixture.auditEntries().count, before, "refused requests wrote to the audit log")
        }
    }

    func testOverdueListsWhatIsPastDueAtTheGivenTime() async throws {
        let fixture = try ServerFixture()
        try await fixture.test { client in
            let id = try await client.open("ランサムウェア感染", category: "malware", severity: "critical")
            let detail = try fixture.app.incident(id)
            let due = detail.tasks.compactMap(\.dueAt).sorted()
            let first = try XCTUnwrap(due.first)

            let before = try await client.send(.get, "/v1/overdue?at=\(RFC3339.format(first.addingTimeInterval(-1)))", as: .officer)
            XCTAssertEqual(before.status, .ok)
            XCTAssertEqual((before.json["items"] as? [[String: Any]])?.count, 0, "nothing is due yet")

            let later = first.addingTimeInterval(3_600)
            let after = try await client.send(.get, "/v1/overdue?at=\(RFC3339.format(later))", as: .officer)
            let items = try XCTUnwrap(after.json["items"] as? [[String: Any]])
            XCTAssertEqual(items.count, due.filter { $0 < later }.count, after.text)
            XCTAssertTrue(items.allSatisfy { $0["incident"] as? String == id && $0["incident_title"] as? String == "ランサムウェア感染" })
            let firstItem = try XCTUnwrap(items.first)
            // Times in the query are whole seconds; the due time may have milliseconds.
            XCTAssertTrue((3_599...3_600).contains(firstItem["overdue_seconds"] as? Int ?? 0), after.text)
            XCTAssertEqual((firstItem["task"] as? [String: Any])?["due_at"] as? String, RFC3339.format(first))

            // A step done is no longer overdue.
            let task = try XCTUnwrap(firstItem["task"] as? [String: Any])
            let taskID = try XCTUnwrap(task["id"] as? String)
            let skipped = try await client.send(.post, "/v1/incidents/\(id)/steps/\(taskID)", as: .responder, json: ["state": "skipped", "reason": "対象外"])
            XCTAssertEqual(skipped.status, .ok, skipped.text)
            let again = try await client.send(.get, "/v1/overdue?at=\(RFC3339.format(later))", as: .officer)
            XCTAssertEqual((again.json["items"] as? [[String: Any]])?.count, items.count - 1, again.text)

            let bad = try await client.send(.get, "/v1/overdue?at=tomorrow", as: .officer)
            XCTAssertEqual(bad.status, .badRequest, bad.text)
            let unknown = try await client.send(.get, "/v1/overdue?since=2026-01-01", as: .officer)
            XCTAssertEqual(unknown.status, .badRequest, unknown.text)
        }
    }

    func testCursorPaginationVisitsEveryIncidentOnce() async throws {
        let fixture = try ServerFixture()
        try await fixture.test { client in
            var opened: [String] = []
            for index in 0..<7 { opened.append(try await client.open("incident \(index)", severity: index % 2 == 0 ? "high" : "low")) }
            var seen: [String] = []
            var cursor: String? = nil
            var pages = 0
            repeat {
                let reply = try await client.send(.get, "/v1/incidents?limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""), as: .officer)
                XCTAssertEqual(reply.status, .ok, reply.text)
                seen += (reply.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = reply.json["next_cursor"] as? String
                pages += 1
            } while cursor != nil && pages < 10
            XCTAssertEqual(seen, opened)
            XCTAssertEqual(pages, 3)
            let high = try await client.send(.get, "/v1/incidents?severity=high&limit=500", as: .officer)
            XCTAssertEqual((high.json["items"] as? [Any])?.count, 4)
        }
    }
}
