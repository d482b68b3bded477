import CanonicalJSON
import Foundation
import TestSupport
import XCTest

/// `csirt serve` as a user runs it: the real binary on loopback, a real HTTP client (curl),
/// SIGINT and SIGTERM, and an audit log that is sealed and verifies afterwards.
final class ServeTests: XCTestCase {
    func testServeAnswersOverHTTPAndSealsTheLogOnSIGINT() throws {
        let directory = TemporaryDirectory()
        let (home, secret) = try Self.home(in: directory)

        let log = directory.file("server.log")
        let (server, port) = try Self.launch(home: home, log: log)
        defer { if server.isRunning { server.terminate() } }
        let base = "http://127.0.0.1:\(port)"

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
        let forbidden = try curl(["-H", "Authorization: Bearer \(secret)", base + "/v1/audit/verify"])
        XCTAssertEqual(forbidden.status, 403, forbidden.body)

        // A second server on the same port fails at once, with exit 2, and records no start.
        let clash = try CSIRTBinary.run(["serve", "--home", home, "--port", String(port)])
        XCTAssertEqual(clash.status, 2, clash.stderr)
        XCTAssertTrue(clash.stderr.contains("csirt: error:"), clash.stderr)

        // The CLI sees what the API wrote, with the token's name as the actor.
        let shown = try CSIRTBinary.run(["incident", "show", id, "--home", home, "--format", "json"])
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertTrue(shown.stdout.contains("\"reporter\":\"soc-chat\""), shown.stdout)

        server.interrupt()  // SIGINT here; SIGTERM in the test below
        server.waitUntilExit()
        XCTAssertEqual(server.terminationStatus, 0, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")

        // One JSON log line per request, with method, path, status, duration and actor.
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        let requests = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.filter { $0["message"] as? String == "request" }
        XCTAssertEqual(requests.count, 5, lines.joined(separator: "\n"))
        let post = try XCTUnwrap(requests.first { $0["method"] as? String == "POST" })
        XCTAssertEqual(post["status"] as? String, "201")
        XCTAssertEqual(post["actor"] as? String, "soc-chat")
        XCTAssertEqual(post["path"] as? String, "/v1/incidents")
        XCTAssertNotNil(post["duration_ms"])
        let refused = try XCTUnwrap(requests.first { $0["status"] as? String == "403" }, "the refused request is logged")
        XCTAssertEqual(refused["actor"] as? String, "soc-chat", "a refused request names the token that made it")
        XCTAssertEqual(refused["path"] as? String, "/v1/audit/verify")

        // The log ends with the server's stop entry and its checkpoint, and verifies.
        try Self.assertSealedAfterOneIncident(home: home)
    }

    /// SIGTERM while a request is still arriving: the server stops taking new connections, lets
    /// that request finish (its change is made and audited), then seals the log and exits 0.
    func testSIGTERMLetsARequestInFlightFinish() throws {
        let directory = TemporaryDirectory()
        let (home, secret) = try Self.home(in: directory)
        let log = directory.file("server.log")
        let (server, port) = try Self.launch(home: home, log: log)
        defer { if server.isRunning { server.terminate() } }

        let body = Array(#"{"title":"停止中に届いた報告","category":"malware","severity":"high"}"#.utf8)
        let head = "POST /v1/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(secret)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let connection = try LoopbackConnection(port: port)
        // One whole request first: once it is answered, the server has accepted this connection.
        try connection.send(Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        let health = String(decoding: try connection.receiveResponse(), as: UTF8.self)
        XCTAssertTrue(health.hasPrefix("HTTP/1.1 200"), health)
        try connection.send(Array(head.utf8) + body.prefix(10))
        Thread.sleep(forTimeInterval: 1)  // the server reads the head and waits for the rest of the body

        server.terminate()  // SIGTERM
        // New connections are refused once the server shuts down (polled: a busy host may take a moment).
        var refused = false
        for _ in 0..<100 where !refused {
            refused = try TestProcess.run("/usr/bin/env", ["curl", "-sS", "--max-time", "2", "http://127.0.0.1:\(port)/healthz"]).status != 0
            if !refused { Thread.sleep(forTimeInterval: 0.1) }
        }
        XCTAssertTrue(refused, "no new connection once shutting down")
        XCTAssertTrue(server.isRunning, "the server must wait for the request in flight")

        try connection.send(Array(body.dropFirst(10)))
        let response = String(decoding: try connection.receiveAll(), as: UTF8.self)
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 201"), response)
        XCTAssertTrue(response.contains("停止中に届いた報告"), response)

        server.waitUntilExit()
        XCTAssertEqual(server.terminationStatus, 0, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
        try Self.assertSealedAfterOneIncident(home: home)
        let listed = try CSIRTBinary.run(["incident", "list", "--home", home])
        XCTAssertTrue(listed.stdout.contains("停止中に届いた報告"), listed.stdout)
    }

    /// The log ends with the server's start, the incident opened through it, the stop entry and
    /// its checkpoint, and verifies.
    static func assertSealedAfterOneIncident(home: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let audit = try String(contentsOfFile: home + "/audit/audit.log", encoding: .utf8).split(separator: "\n")
        let actions = audit.compactMap { try? CanonicalJSON.parse(Array($0.utf8)) }.compactMap { $0["action"]?.stringValue }
        XCTAssertEqual(Array(actions.suffix(3)), ["server.start", "incident.open", "server.stop"], file: file, line: line)
        XCTAssertTrue(audit.last?.contains("checkpoint") ?? false, "the last line is a checkpoint", file: file, line: line)
        let verify = try CSIRTBinary.run(["audit", "verify", "--home", home])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr, file: file, line: line)
    }

    /// A new home with a responder token named soc-chat; returns the home and the token's secret.
    static func home(in directory: TemporaryDirectory) throws -> (String, String) {
        let home = directory.file("home")
        XCTAssertEqual(try CSIRTBinary.run(["init", "--home", home]).status, 0)
        let token = try CSIRTBinary.run(["token", "create", "--name", "soc-chat", "--role", "responder", "--home", home])
        let secret = token.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard secret.hasPrefix("csirt_") else { throw TestFailure("csirt token create: \(token.stdout)\(token.stderr)") }
        return (home, secret)
    }

    /// Starts `csirt serve` on a port the kernel chooses; the start-up line names it.
    static func launch(home: String, log: String) throws -> (Process, Int) {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: CSIRTBinary.path)
        server.arguments = ["serve", "--home", home, "--port", "0", "--log-format", "json"]
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        server.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        for _ in 0..<200 {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression),
               let port = Int(text[range].split(separator: ":").last ?? "") {
                return (server, port)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        server.terminate()
        throw TestFailure("no start-up line in \(log)")
    }
}

#if canImport(Glibc)
private let streamSocket = Int32(SOCK_STREAM.rawValue)
private func sendBytes(_ fd: Int32, _ pointer: UnsafeRawPointer?, _ count: Int) -> Int { Glibc.send(fd, pointer, count, Int32(MSG_NOSIGNAL)) }
#elseif canImport(Darwin)
private let streamSocket = SOCK_STREAM
private func sendBytes(_ fd: Int32, _ pointer: UnsafeRawPointer?, _ count: Int) -> Int { Darwin.send(fd, pointer, count, 0) }
#endif

/// A plain TCP connection to 127.0.0.1, to send a request in pieces.
final class LoopbackConnection {
    private let fd: Int32
    private var buffered: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, streamSocket, 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        #if canImport(Darwin)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw TestFailure("connect to port \(port): errno \(errno)") }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { sendBytes(fd, $0.baseAddress, $0.count) }
            guard sent > 0 else { throw TestFailure("send: errno \(errno)") }
            offset += sent
        }
    }

    /// Reads more bytes into the buffer; false when the server has closed the connection.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { throw TestFailure("recv: errno \(errno) after \(buffered.count) bytes") }
        buffered += chunk[..<count]
        return count > 0
    }

    /// One response with a Content-Length, leaving the connection open.
    func receiveResponse() throws -> [UInt8] {
        let separator: [UInt8] = [13, 10, 13, 10]
        while true {
            if let end = buffered.indices.first(where: { buffered[$0...].starts(with: separator) }) {
                let head = String(decoding: buffered[..<end], as: UTF8.self).lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                let total = end + separator.count + length
                while buffered.count < total { guard try fill() else { throw TestFailure("connection closed mid-response") } }
                defer { buffered.removeFirst(total) }
                return Array(buffered[..<total])
            }
            guard try fill() else { throw TestFailure("connection closed before a response") }
        }
    }

    /// Everything until the server closes the connection.
    func receiveAll() throws -> [UInt8] {
        while try fill() {}
        defer { buffered = [] }
        return buffered
    }
}
