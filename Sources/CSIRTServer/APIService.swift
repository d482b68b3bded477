import CSIRTApplication
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// The HTTP API over one application layer: the route table, the router, and running it.
public final class APIService: Sendable {
    public static let defaultMaxBodyBytes = 8 << 20

    let app: CSIRTApplication.Application
    let metrics: APIMetrics
    let maxBodyBytes: Int
    let logger: Logger
    let heavyWork = HeavyWorkLimit(limit: 2)
    /// Incidents as last read, by the id in the path, and whole list pages, by their query: both
    /// valid while the store's generation is the one they were read at (see `GenerationCache`).
    let incidentCache = GenerationCache<String, IncidentDetail>(limit: 1_024)
    let pageCache = GenerationCache<String, [UInt8]>(limit: 256)

    public init(app: CSIRTApplication.Application, maxBodyBytes: Int = APIService.defaultMaxBodyBytes, logger: Logger) {
        self.app = app
        self.metrics = APIMetrics()
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger
    }

    /// Every route the API has, grouped by resource.
    var routes: [APIRoute] {
        ServiceRoutes(service: self).routes + IncidentRoutes(service: self).routes + PlaybookRoutes(service: self).routes
            + CheckRoutes(service: self).routes + AuditRoutes(service: self).routes + ReportRoutes(service: self).routes
            + TokenRoutes(service: self).routes
    }

    /// (method, path, access) of every route: what the OpenAPI test compares with openapi.yaml.
    public var routeSignatures: [(method: String, path: String, access: String)] {
        routes.map { ($0.method.rawValue, $0.path, $0.access.name) }
    }

    public func router() -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        let table = routes.map { ($0.method.rawValue, $0.path.split(separator: "/", omittingEmptySubsequences: false)) }
        // Hummingbird answers a known path with an unknown method as not found; the API says 405.
        let methods: @Sendable (String) -> [String] = { path in
            let segments = path.split(separator: "/", omittingEmptySubsequences: false)
            return table.filter { _, template in
                template.count == segments.count && zip(template, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
            }.map(\.0)
        }
        router.add(middleware: APIMiddleware(metrics: metrics, logger: logger, allowedMethods: methods))
        for route in routes {
            let access = route.access
            let handler = route.handler
            router.on(RouterPath(route.routerPath), method: route.method) { [self] request, context in
                let (caller, generation) = try authorize(request, access: access, caller: context.caller)
                var call = APIRoute.Call(request: request, context: context, caller: caller, generation: generation)
                return try await handler(&call)
            }
        }
        return router
    }

    /// 401 without a valid token, 403 when the token's role may not. A valid token is put in
    /// `caller` before the role is checked, so that a refused request is logged with its actor.
    func authorize(_ request: Request, access: APIRoute.Access, caller: CallerBox) throws -> (APITokenInfo?, StoreGeneration?) {
        if access == .open { return (nil, nil) }
        let challenge: HTTPFields = [.wwwAuthenticate: "Bearer realm=\"csirt\""]
        guard let header = request.headers[.authorization] else {
            throw Problem(.unauthorized, "no Authorization header; send Authorization: Bearer TOKEN (csirt token create)", headers: challenge)
        }
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw Problem(.unauthorized, "the Authorization header is not a Bearer token", headers: challenge)
        }
        let secret = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        let app = self.app
        // Reads are answered from memory at the store's generation; a change goes to the writer
        // anyway, and moves the generation, so it looks the token up without reading it.
        let generation = request.method == .get || request.method == .head ? try read { () throws(CSIRTError) in try app.generation() } : nil
        guard let token = try read({ () throws(CSIRTError) in try app.authenticate(bearer: secret, at: generation) }) else {
            throw Problem(.unauthorized, "the token is unknown or revoked", headers: challenge)
        }
        caller.token = token
        guard access.allows(token.role) else {
            throw Problem(.forbidden, "token \(token.name) has role \(token.role.rawValue), which may not \(access.name.replacingOccurrences(of: "-", with: " "))")
        }
        return (token, generation)
    }

    /// Runs blocking work (SQLite, the audit log, OpenSSL) on the blocking pool, so that a slow
    /// write does not stall every other request's task.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws(CSIRTError) -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            BlockingPool.shared.submit {
                do {
                    continuation.resume(returning: try body())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// A short read (one indexed lookup, a page of rows) runs on the request's own task: in WAL
    /// mode it never waits for a writer, and it costs less than the two thread hops of `blocking`.
    func read<T>(_ body: () throws(CSIRTError) -> T) throws(CSIRTError) -> T {
        try body()
    }

    /// Heavy work (a check, a verification, parsing an uploaded YAML file): at most two at once.
    func heavy<T: Sendable>(_ body: @escaping @Sendable () throws(CSIRTError) -> T) async throws -> T {
        guard heavyWork.enter() else {
            throw Problem(.serviceUnavailable, "\(heavyWork.limit) checks, verifications or uploads are already running; retry shortly",
                          headers: [.retryAfter: "5"])
        }
        defer { heavyWork.leave() }
        return try await blocking(body)
    }

    /// Runs the server until SIGTERM or SIGINT: no new connections, requests in flight finish
    /// (for at most 30 s), then the audit log is sealed with a `server.stop` entry and its
    /// checkpoint. `server.start` is written once the socket is bound, with the bound port.
    public func run(host: String, port: Int, actor: String, onRunning: @escaping @Sendable (String, Int) -> Void = { _, _ in }) async throws {
        let logger = self.logger
        let app = self.app
        let started = StartFlag()
        let application = Application(
            router: router(),
            // Idle keep-alive connections are closed after a minute, so that none holds a shutdown.
            server: .http1(configuration: .init(idleTimeout: .seconds(60))),
            configuration: .init(address: .hostname(host, port: port), serverName: "csirt"),
            onServerRunning: { [self] channel in
                let bound = channel.localAddress?.port ?? port
                do {
                    _ = try await blocking { () throws(CSIRTError) in
                        try app.recordServerEvent("server.start", actor: actor, details: ["host": .string(host), "port": .integer(Int64(bound))])
                    }
                    started.set(port: bound)
                } catch {
                    logger.error("could not record server.start in the audit log: \(error)")
                }
                logger.info("listening on http://\(host):\(bound)", metadata: ["host": .string(host), "port": .stringConvertible(bound)])
                onRunning(host, bound)
            },
            logger: logger
        )
        var configuration = ServiceGroupConfiguration(services: [.init(service: application)], gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(30)
        var failure: (any Error)? = nil
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch {
            failure = error
        }
        if started.isSet {
            let receipt = try await blocking { () throws(CSIRTError) in
                try app.recordServerEvent("server.stop", actor: actor, details: ["host": .string(host), "port": .integer(Int64(started.port))])
            }
            logger.info("stopped; audit log sealed at seq \(receipt.position.lastSeq)")
        }
        if let failure {
            throw CSIRTError(.input, "the server on \(host):\(port) stopped: \(failure)")
        }
    }
}

/// Whether `server.start` was recorded (set on a NIO thread, read after the group has stopped).
final class StartFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int? = nil

    func set(port: Int) { lock.withLock { value = port } }
    var isSet: Bool { lock.withLock { value != nil } }
    var port: Int { lock.withLock { value ?? 0 } }
}
