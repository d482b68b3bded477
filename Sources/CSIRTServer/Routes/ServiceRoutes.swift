import CSIRTApplication
import Hummingbird

/// `/healthz`, `/metrics`, `/openapi.yaml`.
struct ServiceRoutes {
    let service: APIService

    var routes: [APIRoute] {
        let service = self.service
        let app = service.app
        return [
            APIRoute(.get, "/healthz", .open) { _ in
                // Healthy means the store answers, not only that the process runs.
                try service.read { () throws(CSIRTError) in try app.ping() }
                return JSONResponse.make(["status": "ok"])
            },
            APIRoute(.get, "/metrics", .anyToken) { _ in
                let text = try await service.blocking { () throws(CSIRTError) in try service.metrics.render(app: app) }
                return JSONResponse.raw(text, contentType: "text/plain; version=0.0.4; charset=utf-8")
            },
            APIRoute(.get, "/openapi.yaml", .anyToken) { _ in
                JSONResponse.raw(PackageResources.openapi_yaml, contentType: "application/yaml")
            },
        ]
    }
}
