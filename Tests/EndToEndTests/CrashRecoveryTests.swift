import CanonicalJSON
import Foundation
import TestSupport
import XCTest

/// Real crashes: `csirt serve` killed with SIGKILL at random moments while clients POST incidents
/// as fast as it takes them. After each crash an auditor takes `csirt audit checkpoint`; the server
/// is started again and written to. In the end every anchor must still verify (nothing a signed
/// checkpoint covered was removed), every incident answered 201 must be there, and the log's
/// incident.open entries must be exactly the database's incidents, but for the voided ones.
final class CrashRecoveryTests: XCTestCase {
    struct Created: Hashable, Sendable {
        var id: String
        var title: String
    }

    /// What the client threads share, under its lock.
    final class Storm: @unchecked Sendable {
        private let lock = NSLock()
        private var created: Set<Created> = []
        private var stopped = false

        var isStopped: Bool { lock.withLock { stopped } }
        var answered: Set<Created> { lock.withLock { created } }
        func stop() { lock.withLock { stopped = true } }
        func restart() { lock.withLock { stopped = false } }
        func add(_ made: [Created]) { lock.withLock { created.formUnion(made) } }
    }

    /// POSTs on one keep-alive connection until it breaks; returns what was answered 201.
    static func storm(port: Int, secret: String, client: Int, stop: @escaping @Sendable () -> Bool) -> [Created] {
        var created: [Created] = []
        guard let connection = try? LoopbackConnection(port: port) else { return created }
        var index = 0
        while !stop() {
            let title = "storm \(UUID().uuidString.prefix(8)) c\(client) #\(index)"
            index += 1
            let body = Array(#"{"title":"\#(title)","category":"malware","severity":"high"}"#.utf8)
            let head = "POST /v1/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(secret)\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
            guard (try? connection.send(Array(head.utf8) + body)) != nil, let response = try? connection.receiveResponse() else { break }
            let text = String(decoding: response, as: UTF8.self)
            guard text.hasPrefix("HTTP/1.1 201"), let start = text.range(of: "\r\n\r\n") else { continue }
            if let object = try? JSONSerialization.jsonObject(with: Data(text[start.upperBound...].utf8)) as? [String: Any],
               let id = object["id"] as? String {
                created.append(Created(id: id, title: title))
            }
        }
        return created
    }

    func testKilledServersLoseNothingThatWasSignedOrAnswered() throws {
        let directory = TemporaryDirectory()
        let (home, secret) = try ServeTests.home(in: directory)
        var random = SeededGenerator(seed: UInt64(Date().timeIntervalSince1970))
        let shared = Storm()
        var anchors: [String] = []
        var kills = 0
        var voids = 0
        while kills < 5 || (voids == 0 && kills < 15) {
            let (server, port) = try ServeTests.launch(home: home, log: directory.file("server-\(kills).log"))
            shared.restart()
            let group = DispatchGroup()
            for client in 0..<8 {
                group.enter()
                DispatchQueue.global().async {
                    shared.add(Self.storm(port: port, secret: secret, client: client) { shared.isStopped })
                    group.leave()
                }
            }
            Thread.sleep(forTimeInterval: Double.random(in: 0.3...1.2, using: &random))
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
            shared.stop()
            group.wait()
            kills += 1

            // The auditor's anchor, taken from the log as the crash left it.
            let checkpoint = try CSIRTBinary.run(["audit", "checkpoint", "--home", home])
            XCTAssertEqual(checkpoint.status, 0, checkpoint.stderr)
            anchors.append(directory.write("anchor-\(kills).txt", checkpoint.stdout))
            let verify = try CSIRTBinary.run(["audit", "verify", "--home", home])
            XCTAssertEqual(verify.status, 0, "after crash \(kills): \(verify.stdout) \(verify.stderr)")

            // Started again and written to: the next write voids what the database never held.
            let note = try CSIRTBinary.run(["audit", "note", "--home", home, "restarted after crash \(kills)"])
            XCTAssertEqual(note.status, 0, note.stderr)
            voids = actions(home).filter { $0 == "audit.void" }.count
        }
        let answered = shared.answered
        let totalAnswered = answered.count
        XCTAssertGreaterThan(totalAnswered, 0, "the storms were answered")

        // Every anchor any auditor took still verifies: nothing signed was removed.
        for anchor in anchors {
            let result = try CSIRTBinary.run(["audit", "verify", "--home", home, "--checkpoint", anchor])
            XCTAssertEqual(result.status, 0, "\(anchor): \(result.stdout) \(result.stderr)")
        }
        // Every incident answered 201 is there, with its title.
        let listed = try CSIRTBinary.run(["incident", "list", "--home", home, "--format", "json"])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        let incidents = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        let stored = Set(incidents.compactMap { item -> Created? in
            guard let id = item["id"] as? String, let title = item["title"] as? String else { return nil }
            return Created(id: id, title: title)
        })
        XCTAssertTrue(answered.isSubset(of: stored), "answered 201 but missing: \(answered.subtracting(stored).prefix(5))")

        // The log's incident.open entries: the voided ones are nowhere in the database; the others are it, exactly.
        let entries = auditEntries(home)
        var voided = Set<Int64>()
        for entry in entries where entry["action"]?.stringValue == "audit.void" {
            let from = try XCTUnwrap(entry["details"]?["from_seq"]?.integerValue), to = try XCTUnwrap(entry["details"]?["to_seq"]?.integerValue)
            voided.formUnion(from...to)
        }
        var opened = Set<Created>()
        for entry in entries where entry["action"]?.stringValue == "incident.open" {
            let created = Created(id: entry["target"]?.stringValue ?? "", title: entry["details"]?["title"]?.stringValue ?? "")
            if voided.contains(entry["seq"]?.integerValue ?? 0) {
                XCTAssertFalse(stored.contains { $0.title == created.title }, "voided, but shown: \(created)")
                XCTAssertFalse(answered.contains { $0.title == created.title }, "voided, but it was answered 201: \(created)")
            } else {
                opened.insert(created)
            }
        }
        XCTAssertEqual(opened, stored, "the log's non-voided openings are the database's incidents")
        let final = try CSIRTBinary.run(["audit", "verify", "--home", home, "--format", "json"])
        XCTAssertEqual(final.status, 0, final.stdout)
        print("crash test: \(kills) kills, \(totalAnswered) incidents answered 201, \(voids) void entries covering \(voided.count) entries")
    }

    func auditEntries(_ home: String) -> [JSONValue] {
        LogFixtures.lines(of: home + "/audit/audit.log").compactMap { try? CanonicalJSON.parse($0) }.filter { $0["action"] != nil }
    }

    func actions(_ home: String) -> [String] {
        auditEntries(home).compactMap { $0["action"]?.stringValue }
    }
}
