import AuditLog
import Foundation
import TestSupport
import XCTest

/// `csirt serve` as a user runs it: the real binary on loopback, a real HTTP client (curl),
/// SIGTERM, and an audit log that is sealed and verifies afterwards.
final class ServeTests: XCTestCase {
    func testServeAnswersOverHTTPAndSealsTheLogOnSIGTERM() throws {
        let directory = TemporaryDirectory()
        let home = directory.file("home")
        XCTAssertEqual(try CSIRTBinary.run(["init", "--home", home]).status, 0)
        let token = try CSIRTBinary.run(["token", "create", "--name", "soc-chat", "--role", "responder", "--home", home])
        let secret = token.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(secret.hasPrefix("csirt_"), token.stdout + token.stderr)

        let server = Process()
        server.executableURL = URL(fileURLWithPath: CSIRTBinary.path)
        server.arguments = ["serve", "--home", home, "--port", "0", "--log-format", "json"]
        let log = directory.file("server.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        server.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { server.terminate() } }

        // The start-up line names the port the kernel chose.
        var port: Int? = nil
        for _ in 0..<200 where port == nil {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(text[range].split(separator: ":").last ?? "")
            }
            if port == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        let base = "http://127.0.0.1:\(try XCTUnwrap(port, "no start-up line in \(log)"))"

        func curl(_ arguments: [String]) throws -> (status: Int, body: String) {
            let result = try TestProcess.run("/usr/bin/env", ["curl", "-sS", "-w", "\n%{http_code}"] + arguments)
            XCTAssertEqual(result.status, 0, result.stderr)
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
        }
        XCTAssertEqual(try curl([base + "/healthz"]).status, 200)
        XCTAssertEqual(try curl([base + "/v1/incidents"]).status, 401)
        let created = try curl(["-H", "Authorization: Bearer \(secret)", "-H", "Content-Type: application/json",
                                "-d", #"{"title":"不正アクセスの疑い","category":"unauthorized-access","severity":"high"}"#, base + "/v1/incidents"])
        XCTAssertEqual(created.status, 201, created.body)
        let id = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(created.body.utf8)) as? [String: Any])?["id"] as? String)
        let fetched = try curl(["-H", "Authorization: Bearer \(secret)", base + "/v1/incidents/\(id)"])
        XCTAssertEqual(fetched.status, 200)
        XCTAssertTrue(fetched.body.contains("不正アクセスの疑い"))

        // A second server on the same port fails at once, with exit 2, and records no start.
        let clash = try CSIRTBinary.run(["serve", "--home", home, "--port", String(port!)])
        XCTAssertEqual(clash.status, 2, clash.stderr)
        XCTAssertTrue(clash.stderr.contains("csirt: error:"), clash.stderr)

        // The CLI sees what the API wrote, with the token's name as the actor.
        let shown = try CSIRTBinary.run(["incident", "show", id, "--home", home, "--format", "json"])
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertTrue(shown.stdout.contains("\"reporter\":\"soc-chat\""), shown.stdout)

        server.interrupt()  // SIGINT; SIGTERM takes the same path
        server.waitUntilExit()
        XCTAssertEqual(server.terminationStatus, 0, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")

        // One JSON log line per request, with method, path, status, duration and actor.
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        let requests = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.filter { $0["message"] as? String == "request" }
        XCTAssertEqual(requests.count, 4, lines.joined(separator: "\n"))
        let post = try XCTUnwrap(requests.first { $0["method"] as? String == "POST" })
        XCTAssertEqual(post["status"] as? String, "201")
        XCTAssertEqual(post["actor"] as? String, "soc-chat")
        XCTAssertEqual(post["path"] as? String, "/v1/incidents")
        XCTAssertNotNil(post["duration_ms"])

        // The log ends with the server's stop entry and its checkpoint, and verifies.
        let audit = try String(contentsOfFile: home + "/audit/audit.log", encoding: .utf8).split(separator: "\n")
        let actions = audit.compactMap { try? CanonicalJSON.parse(Array($0.utf8)) }.compactMap { $0["action"]?.stringValue }
        XCTAssertEqual(Array(actions.suffix(3)), ["server.start", "incident.open", "server.stop"])
        XCTAssertTrue(audit.last?.contains("checkpoint") ?? false, "the last line is a checkpoint")
        let verify = try CSIRTBinary.run(["audit", "verify", "--home", home])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
    }
}
