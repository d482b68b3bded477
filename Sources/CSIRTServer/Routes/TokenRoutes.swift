import CanonicalJSON
import CSIRTApplication
import Foundation
import HTTPTypes
import Hummingbird

/// `/v1/tokens…`: what `csirt token create | list | revoke` do, for an admin token. A new
/// token's secret is in the 201 answer only (`Cache-Control: no-store`); the store keeps its hash.
struct TokenRoutes {
    let service: APIService

    var routes: [APIRoute] {
        [
            APIRoute(.get, "/v1/tokens", .needs(.manageTokens), list),
            APIRoute(.post, "/v1/tokens", .needs(.manageTokens), create),
            APIRoute(.delete, "/v1/tokens/{name}", .needs(.manageTokens), revoke),
        ]
    }

    static func json(_ token: APITokenInfo) -> JSONValue {
        ["name": .string(token.name), "role": .string(token.role.rawValue), "created_at": .string(RFC3339.format(token.createdAt)),
         "created_by": .string(token.createdBy), "revoked_at": token.revokedAt.map { .string(RFC3339.format($0)) } ?? .null]
    }

    @Sendable func list(_ call: inout APIRoute.Call) async throws -> Response {
        let app = service.app
        let tokens = try await service.blocking { () throws(CSIRTError) in try app.tokens() }
        return JSONResponse.make(["items": .array(tokens.map(Self.json))])
    }

    @Sendable func create(_ call: inout APIRoute.Call) async throws -> Response {
        var fields = try await RequestBody.json(&call.request, limit: service.maxBodyBytes)
        let name = fields.string("name", required: true, maxBytes: 64)
        let role = fields.choice("role", required: true, APIRole.init(rawValue:), allowed: APIRole.allCases.map(\.rawValue))
        if let name, let problem = CSIRTApplication.Application.tokenNameProblem(name) { fields.fail("name", problem) }
        try fields.finish()
        guard let name, let role else { throw Problem(.unprocessableContent, "name and role are required") }
        let app = service.app
        let actor = call.actor
        let secret = try await service.blocking { () throws(CSIRTError) in try app.createToken(name: name, role: role, actor: actor) }
        return JSONResponse.make(["name": .string(name), "role": .string(role.rawValue), "token": .string(secret)], status: .created)
    }

    @Sendable func revoke(_ call: inout APIRoute.Call) async throws -> Response {
        let name = call.parameter("name")
        let app = service.app
        let actor = call.actor
        let token = try await service.blocking { () throws(CSIRTError) in try app.revokeToken(name: name, actor: actor) }
        return JSONResponse.make(Self.json(token))
    }
}
