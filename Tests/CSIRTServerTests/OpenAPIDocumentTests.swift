import Foundation
import HTTPTypes
import XCTest
import Yams

/// openapi.yaml and the route table must agree: same methods, same paths, same permissions.
final class OpenAPIDocumentTests: XCTestCase {
    static let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    func documentedRoutes() throws -> [String: String] {
        let text = try String(contentsOfFile: Repository.root + "/Sources/CSIRTServer/openapi.yaml", encoding: .utf8)
        let document = try XCTUnwrap(try Yams.load(yaml: text) as? [String: Any])
        XCTAssertEqual(document["openapi"] as? String, "3.1.0")
        let paths = try XCTUnwrap(document["paths"] as? [String: Any])
        var routes: [String: String] = [:]
        for (path, item) in paths {
            for (method, operation) in try XCTUnwrap(item as? [String: Any]) where Self.methods.contains(method) {
                let permission = (operation as? [String: Any])?["x-csirt-permission"] as? String ?? "(none)"
                routes["\(method.uppercased()) \(path)"] = permission
            }
        }
        return routes
    }

    func testEveryRouteIsDocumentedWithItsPermissionAndNothingElseIs() throws {
        let fixture = try ServerFixture()
        var served: [String: String] = [:]
        for signature in fixture.service.routeSignatures {
            XCTAssertNil(served["\(signature.method) \(signature.path)"], "route declared twice: \(signature.method) \(signature.path)")
            served["\(signature.method) \(signature.path)"] = signature.access
        }
        let documented = try documentedRoutes()
        for (route, access) in served.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(documented[route], access, "\(route): the server says \(access), openapi.yaml says \(documented[route] ?? "nothing")")
        }
        for route in documented.keys.sorted() where served[route] == nil {
            XCTFail("openapi.yaml documents \(route), which the server does not have")
        }
    }

    func testTheServedDocumentIsTheRepositoryFile() async throws {
        let fixture = try ServerFixture()
        let file = try Data(contentsOf: URL(fileURLWithPath: Repository.root + "/Sources/CSIRTServer/openapi.yaml"))
        try await fixture.test { client in
            let reply = try await client.send(.get, "/openapi.yaml", as: .auditor)
            XCTAssertEqual(reply.status, .ok)
            XCTAssertEqual(reply.headers[.contentType], "application/yaml")
            XCTAssertEqual(Data(reply.bytes), file)
        }
    }
}
