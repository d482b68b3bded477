import CSIRTApplication
import Foundation
import HTTPTypes
import XCTest

/// Many clients at once over real HTTP on loopback (AsyncHTTPClient): nothing lost, nothing
/// duplicated, every accepted change in the audit log, and the log verifies afterwards.
final class ConcurrencyTests: XCTestCase {
    func testParallelCreatesAndUpdatesLoseNothing() async throws {
        let fixture = try ServerFixture()
        try await fixture.test(.ahc(.http)) { client in
            // 100 parallel creates: 100 distinct incidents, 100 incident.open entries.
            let ids = try await withThrowingTaskGroup(of: String?.self) { group in
                for index in 0..<100 {
                    group.addTask {
                        let reply = try await client.send(.post, "/v1/incidents", as: .responder,
                                                          json: ["title": "parallel \(index)", "category": "phishing", "severity": "medium"])
                        return reply.status == .created ? reply.json["id"] as? String : nil
                    }
                }
                var ids: [String?] = []
                for try await id in group { ids.append(id) }
                return ids
            }
            XCTAssertEqual(ids.compactMap { $0 }.count, 100, "every create succeeds")
            XCTAssertEqual(Set(ids.compactMap { $0 }).count, 100, "no id is given twice")
            let titles = Set(try fixture.app.listIncidents(IncidentFilter()).map(\.title))
            XCTAssertEqual(titles, Set((0..<100).map { "parallel \($0)" }))

            // 100 parallel notes on one incident (no If-Match): all accepted, in order of commit.
            let target = try XCTUnwrap(ids.first ?? nil)
            let noted = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<100 {
                    group.addTask {
                        try await client.send(.post, "/v1/incidents/\(target)/notes", as: .responder, json: ["text": "note \(index)"]).status
                    }
                }
                var statuses: [HTTPResponse.Status] = []
                for try await status in group { statuses.append(status) }
                return statuses
            }
            XCTAssertEqual(noted.filter { $0 == .created }.count, 100)

            // 100 parallel PATCHes all based on the same version: exactly one wins, 99 get 412.
            let version = try fixture.app.incident(target).incident.version
            XCTAssertEqual(version, 101)
            let patched = try await withThrowingTaskGroup(of: (HTTPResponse.Status, Int).self) { group in
                for index in 0..<100 {
                    group.addTask {
                        let reply = try await client.send(.patch, "/v1/incidents/\(target)", as: .responder,
                                                          json: ["title": "renamed \(index)"], headers: [.ifMatch: "\"\(version)\""])
                        return (reply.status, index)
                    }
                }
                var results: [(HTTPResponse.Status, Int)] = []
                for try await result in group { results.append(result) }
                return results
            }
            let winners = patched.filter { $0.0 == .ok }
            XCTAssertEqual(winners.count, 1, "one PATCH wins")
            XCTAssertEqual(patched.filter { $0.0 == .preconditionFailed }.count, 99, "the others are told their version is stale")

            XCTAssertEqual(try fixture.app.incident(target).incident.version, 102)
            XCTAssertEqual(try fixture.app.incident(target).incident.title, "renamed \(winners[0].1)")

            // 100 parallel PATCHes with `If-Match: *` (any version): all accepted, one after the
            // other, each answered with a version of its own; the last one's title stays.
            let unconditional = try await withThrowingTaskGroup(of: (HTTPResponse.Status, Int?, String?).self) { group in
                for index in 0..<100 {
                    group.addTask {
                        let reply = try await client.send(.patch, "/v1/incidents/\(target)", as: .responder,
                                                          json: ["title": "any version \(index)"], headers: [.ifMatch: "*"])
                        return (reply.status, reply.json["version"] as? Int, reply.json["title"] as? String)
                    }
                }
                var results: [(HTTPResponse.Status, Int?, String?)] = []
                for try await result in group { results.append(result) }
                return results
            }
            XCTAssertEqual(unconditional.filter { $0.0 == .ok }.count, 100, "every PATCH with If-Match: * is accepted")
            XCTAssertEqual(Set(unconditional.compactMap(\.1)), Set(103...202), "each change has a version of its own")
            let last = try XCTUnwrap(unconditional.first { $0.1 == 202 })

            let detail = try fixture.app.incident(target)
            XCTAssertEqual(detail.incident.version, 202)
            XCTAssertEqual(detail.incident.title, last.2, "the last change committed is the one that stays")
            XCTAssertEqual(detail.timeline.filter { $0.kind == .updated }.count, 101)
            let notes = detail.timeline.filter { $0.kind == .note }.map(\.text)
            XCTAssertEqual(notes.count, 100)
            XCTAssertEqual(Set(notes), Set((0..<100).map { "note \($0)" }))

            // Every accepted change is in the audit log once, and the log verifies.
            let entries = try fixture.auditEntries()
            XCTAssertEqual(entries.filter { $0["action"]?.stringValue == "incident.open" }.count, 100)
            XCTAssertEqual(entries.filter { $0["action"]?.stringValue == "incident.note" }.count, 100)
            XCTAssertEqual(entries.filter { $0["action"]?.stringValue == "incident.update" }.count, 101)
            let updatedTitles = entries.filter { $0["action"]?.stringValue == "incident.update" }.compactMap { $0["details"]?["title"]?.stringValue }
            XCTAssertEqual(Set(updatedTitles.filter { $0.hasPrefix("any version ") }), Set((0..<100).map { "any version \($0)" }))
            let report = try AuditVerification.verify(home: fixture.home, logPath: nil, publicKeyPaths: [], anchorPath: nil)
            XCTAssertTrue(report.isIntact, "\(String(describing: report.failure))")
        }
    }
}
