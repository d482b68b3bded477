import CSIRTApplication
import Hummingbird

/// `/v1/audit…`: verification, the newest checkpoint, the signing keys.
struct AuditRoutes {
    let service: APIService

    var routes: [APIRoute] {
        let service = self.service
        let app = service.app
        return [
            APIRoute(.get, "/v1/audit/verify", .needs(.verifyAudit)) { _ in
                // A log that does not verify is a result, not a failed request: 200 with ok=false.
                let report = try await service.heavy { () throws(CSIRTError) in
                    try app.verifyAuditLog()
                }
                return JSONResponse.make(AuditRepresentation.json(report, zone: app.legalTimeZone()))
            },
            APIRoute(.get, "/v1/audit/checkpoint", .needs(.verifyAudit)) { _ in
                let latest = try await service.blocking { () throws(CSIRTError) in
                    try AuditVerification.latestCheckpoint(home: app.home, logPath: nil)
                }
                return JSONResponse.make(AuditRepresentation.json(latest))
            },
            APIRoute(.get, "/v1/audit/keys", .needs(.verifyAudit)) { _ in
                let (keys, _) = try await service.heavy { () throws(CSIRTError) in try app.signingKeys() }
                return JSONResponse.make(["items": .array(keys.map(AuditRepresentation.json))])
            },
        ]
    }
}
