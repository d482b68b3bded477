import CSIRTApplication
import Foundation
import HTTPTypes
import Hummingbird
import CSIRTCrypto
import Reports

/// `/v1/reports/compliance`: the same report as `csirt report compliance`, audited the same way.
struct ReportRoutes {
    let service: APIService

    var routes: [APIRoute] {
        [APIRoute(.post, "/v1/reports/compliance", .needs(.runReports), compliance)]
    }

    static let contentTypes: [ReportFormat: String] = [
        .md: "text/markdown; charset=utf-8", .html: "text/html; charset=utf-8", .json: "application/json", .csv: "text/csv; charset=utf-8",
        .sarif: "application/sarif+json", .oscal: "application/json",
    ]

    @Sendable func compliance(_ call: inout APIRoute.Call) async throws -> Response {
        var fields = try await RequestBody.json(&call.request, limit: service.maxBodyBytes)
        let from = fields.string("from", maxBytes: 64)
        let to = fields.string("to", maxBytes: 64)
        let format = fields.choice("format", ReportFormat.init(rawValue:), allowed: ReportFormat.allCases.map(\.rawValue)) ?? .json
        let language = fields.choice("lang", ReportLanguage.init(rawValue:), allowed: ReportLanguage.allCases.map(\.rawValue)) ?? .ja
        let sign = fields.bool("sign") ?? false
        if (from == nil) != (to == nil) { fields.fail(from == nil ? "from" : "to", "give both from and to, or neither (the last full calendar month)") }
        try fields.finish()
        let app = service.app
        let actor = call.actor
        // The catalog is the home's (controls.yaml beside the policies): a client never names a server file.
        let produced = try await service.heavy { () throws(CSIRTError) in
            let period = try app.reportPeriod(from: from, to: to)
            return try app.produceComplianceReport(period: period, controlsPath: nil, format: format, language: language, sign: sign, actor: actor)
        }
        var headers: HTTPFields = [
            .contentDisposition: "attachment; filename=\"compliance-\(produced.report.catalog.id).\(format.rawValue == "oscal" ? "oscal.json" : format.rawValue)\"",
        ]
        headers[HTTPField.Name("Csirt-Result")!] = produced.report.failed ? "fail" : "pass"
        headers[HTTPField.Name("Csirt-Audit-Head")!] = "\(produced.report.evidence.audit.headSeq) \(produced.report.evidence.audit.headHash)"
        if let signature = produced.signature, let keyID = produced.signingKeyID {
            headers[HTTPField.Name("Csirt-Signature")!] = Base64.encode(signature)
            headers[HTTPField.Name("Csirt-Signing-Key")!] = keyID
        }
        return JSONResponse.raw(produced.bytes, contentType: Self.contentTypes[format] ?? "application/octet-stream", headers: headers)
    }
}
