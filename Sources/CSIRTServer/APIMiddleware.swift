import CSIRTApplication
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Wraps every request: turns every error into problem+json (never a bare 500 for bad input),
/// logs one line (method, path, status, duration, actor) and counts it for `/metrics`.
struct APIMiddleware: RouterMiddleware {
    typealias Context = APIContext

    let metrics: APIMetrics
    let logger: Logger
    /// The methods a path takes (for 405 and its Allow header).
    let allowedMethods: @Sendable (String) -> [String]

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            var problem = Self.problem(for: error, logger: logger)
            if problem.status == .notFound, context.endpointPath == nil || context.endpointPath == "NotFound" {
                let allowed = allowedMethods(request.uri.path)
                if !allowed.isEmpty {
                    problem = Problem(.methodNotAllowed, "\(request.uri.path) takes \(allowed.joined(separator: ", ")), not \(request.method.rawValue)",
                                      headers: [.allow: allowed.joined(separator: ", ")])
                }
            }
            response = problem.response(instance: request.uri.path)
        }
        // API answers are about incidents and tokens: no shared cache may keep them.
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        let elapsed = started.duration(to: .now)
        // Unmatched paths share one label, so that scanners cannot blow up the metric's cardinality.
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        metrics.request(method: request.method.rawValue, route: route, status: response.status.code, duration: elapsed)
        // Milliseconds with three decimals, written by hand (String(format:) showed in profiles).
        let microseconds = max(0, elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000)
        let fraction = String(microseconds % 1000)
        let milliseconds = "\(microseconds / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
        logger.info("request", metadata: [
            "method": .string(request.method.rawValue),
            "path": .string(request.uri.path),
            "status": .stringConvertible(response.status.code),
            "duration_ms": .string(milliseconds),
            "actor": .string(context.caller.token?.name ?? "-"),
        ])
        return response
    }

    static func problem(for error: any Error, logger: Logger) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let error as CSIRTError:
            if error.kind == .failed || error.kind == .unavailable { logger.error("\(error.message)") }
            return Problem(error)
        case let error as any HTTPResponseError:
            switch error.status {
            case .notFound: return Problem(.notFound, "no such resource; see GET /openapi.yaml for the routes")
            case .methodNotAllowed: return Problem(.methodNotAllowed, "this path does not take this method; see GET /openapi.yaml")
            case .contentTooLarge: return Problem(.contentTooLarge, "the body is larger than the server's limit")
            default:
                let message = (error as? HTTPError)?.body ?? error.status.reasonPhrase
                return Problem(error.status, message)
            }
        default:
            // A bug, not the request's fault: log it whole, answer without internals.
            logger.error("unexpected error: \(String(reflecting: error))")
            return Problem(.internalServerError, "internal error; the server log has the details")
        }
    }
}
