import CSIRTApplication
import HTTPTypes
import Hummingbird

/// One route of the API: its method and path (in OpenAPI form, `/v1/incidents/{id}`), who may
/// call it, and its handler. The table of routes is the single source for the router, for the
/// permission checks and for the test that compares the API with `openapi.yaml`.
struct APIRoute: Sendable {
    enum Access: Sendable, Equatable {
        /// No token needed (`/healthz`).
        case open
        /// Any valid token.
        case anyToken
        case needs(APIRole.Permission)

        /// As `x-csirt-permission` in openapi.yaml.
        var name: String {
            switch self {
            case .open: return "open"
            case .anyToken: return "any-token"
            case .needs(let permission):
                switch permission {
                case .readIncidents: return "read-incidents"
                case .changeIncidents: return "change-incidents"
                case .runChecks: return "run-checks"
                case .readChecks: return "read-checks"
                case .runReports: return "run-reports"
                case .verifyAudit: return "verify-audit"
                case .manageTokens: return "manage-tokens"
                }
            }
        }

        func allows(_ role: APIRole) -> Bool {
            switch self {
            case .open, .anyToken: return true
            case .needs(let permission): return role.allows(permission)
            }
        }
    }

    /// What a handler gets: the request (its body not yet read), the path parameters and the
    /// caller (nil only on open routes).
    struct Call: Sendable {
        var request: Request
        var context: APIContext
        var caller: APITokenInfo?
        /// The store's generation, read when the token was checked (nil on open routes): reads
        /// answered from the service's caches are exactly the store as it was then, or newer.
        var generation: StoreGeneration?

        /// The actor written to the audit log: the token's name.
        var actor: String { caller?.name ?? "anonymous" }

        func parameter(_ name: String) -> String {
            context.parameters.get(name) ?? ""
        }
    }

    typealias Handler = @Sendable (inout Call) async throws -> Response

    var method: HTTPRequest.Method
    var path: String
    var access: Access
    var handler: Handler

    init(_ method: HTTPRequest.Method, _ path: String, _ access: Access, _ handler: @escaping Handler) {
        self.method = method
        self.path = path
        self.access = access
        self.handler = handler
    }

    /// Hummingbird's form of the path: `{id}` → `:id`.
    var routerPath: String {
        path.replacingOccurrences(of: "{", with: ":").replacingOccurrences(of: "}", with: "")
    }
}
