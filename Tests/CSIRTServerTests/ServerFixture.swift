import CanonicalJSON
import CSIRTApplication
import CSIRTServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import TestSupport
import XCTest

/// A fresh csirt home with one token per role and the API over it, for router and live tests.
// Immutable after init; the temporary directory only matters for its deinit.
final class ServerFixture: @unchecked Sendable {
    let directory: TemporaryDirectory
    let home: CSIRTHome
    let app: CSIRTApplication.Application
    let service: APIService
    /// Role → bearer secret; the token's name is the role's name.
    let tokens: [APIRole: String]

    init(maxBodyBytes: Int = APIService.defaultMaxBodyBytes) throws {
        directory = TemporaryDirectory()
        home = CSIRTHome(root: directory.file("home"))
        _ = try CSIRTApplication.Application.initialize(home: home, signingKeyPath: nil, actor: "setup")
        app = try CSIRTApplication.Application.open(home: home)
        var tokens: [APIRole: String] = [:]
        for role in APIRole.allCases {
            tokens[role] = try app.createToken(name: role.rawValue, role: role, actor: "setup")
        }
        self.tokens = tokens
        var logger = Logger(label: "csirt.test")
        logger.logLevel = .critical
        service = APIService(app: app, maxBodyBytes: maxBodyBytes, logger: logger)
    }

    var application: some ApplicationProtocol {
        Hummingbird.Application(router: service.router())
    }

    func test<Value: Sendable>(_ setup: TestingSetup = .router, _ body: @Sendable (APIClient) async throws -> Value) async throws -> Value {
        try await application.test(setup) { client in try await body(APIClient(client: client, fixture: self)) }
    }

    /// The audit log's entries, parsed.
    func auditEntries() throws -> [JSONValue] {
        let text = try String(contentsOfFile: home.auditLogPath, encoding: .utf8)
        return try text.split(separator: "\n").map { try CanonicalJSON.parse(Array($0.utf8)) }.filter { $0["action"] != nil }
    }
}

/// A test client that speaks JSON and carries a role's token.
struct APIClient: Sendable {
    let client: any TestClientProtocol
    let fixture: ServerFixture

    struct Reply: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var bytes: [UInt8]

        var text: String { String(decoding: bytes, as: UTF8.self) }

        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
        }
    }

    func send(_ method: HTTPRequest.Method, _ uri: String, as role: APIRole? = .admin, json: Any? = nil, raw: [UInt8]? = nil,
              contentType: String? = nil, headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers = extra
        if let role { headers[.authorization] = "Bearer \(fixture.tokens[role]!)" }
        var body: ByteBuffer? = nil
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            headers[.contentType] = contentType ?? "application/json"
        } else if let raw {
            body = ByteBuffer(bytes: raw)
            if let contentType { headers[.contentType] = contentType }
        }
        let response = try await client.executeRequest(uri: uri, method: method, headers: headers, body: body)
        return Reply(status: response.status, headers: response.headers, bytes: Array(response.body.readableBytesView))
    }

    /// Opens an incident and returns its id.
    func open(_ title: String = "不審なメール添付ファイルの実行", category: String = "malware", severity: String = "high") async throws -> String {
        let reply = try await send(.post, "/v1/incidents", as: .responder, json: ["title": title, "category": category, "severity": severity])
        XCTAssertEqual(reply.status, .created, reply.text)
        return reply.json["id"] as? String ?? ""
    }
}

/// The repository's root, for shipped files (openapi.yaml, examples, playbooks).
enum Repository {
    static var root: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }
}
