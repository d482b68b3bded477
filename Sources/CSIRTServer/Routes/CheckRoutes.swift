import CanonicalJSON
import CSIRTApplication
import CSIRTStore
import Foundation
import Hummingbird

/// `/v1/checks/segmentation…`: run a check on uploaded files, list and fetch stored runs.
struct CheckRoutes {
    let service: APIService

    var routes: [APIRoute] {
        [
            APIRoute(.post, "/v1/checks/segmentation", .needs(.runChecks), run),
            APIRoute(.get, "/v1/checks/segmentation", .needs(.readChecks), list),
            APIRoute(.get, "/v1/checks/segmentation/{id}", .needs(.readChecks), show),
        ]
    }

    @Sendable func run(_ call: inout APIRoute.Call) async throws -> Response {
        let query = Query(call.request)
        let sarif = try Self.wantsSARIF(query, call.request)
        try query.rejectUnknown(["format"])
        var fields = try await RequestBody.json(&call.request, limit: service.maxBodyBytes)
        let site = fields.string("site", required: true, maxBytes: 255)
        let policy = fields.string("policy", maxBytes: 255)
        var uploaded: [String: [UInt8]] = [:]
        if var files = fields.object("files") {
            uploaded = files.allStrings()
            fields.absorb(files)
        } else {
            fields.fail("files", "required: an object of file name → file text")
        }
        if let site, !uploaded.isEmpty, uploaded[site] == nil { fields.fail("site", "\"\(site)\" is not among the uploaded files") }
        try fields.finish()
        let app = service.app
        let actor = call.actor
        let run = try await service.heavy { [uploaded] () throws(CSIRTError) in
            try app.checkSegmentation(siteFile: site ?? "", uploaded: uploaded, policyID: policy, actor: actor)
        }
        let headers: HTTPFields = [.location: "/v1/checks/segmentation/\(run.id ?? 0)"]
        if sarif {
            return JSONResponse.raw(SegmentationSARIF.encode(run), status: .created, contentType: "application/sarif+json", headers: headers)
        }
        return JSONResponse.raw(SegmentationDocument(run, includeRun: true).encoded(), status: .created, contentType: "application/json", headers: headers)
    }

    @Sendable func list(_ call: inout APIRoute.Call) async throws -> Response {
        let query = Query(call.request)
        let limit = try query.integer("limit", in: 1...1_000) ?? 20
        try query.rejectUnknown(["limit"])
        let app = service.app
        let runs = try service.read { () throws(CSIRTError) in try app.segmentationRuns(limit: limit) }
        return JSONResponse.make(["items": .array(runs.map(Self.summary))])
    }

    @Sendable func show(_ call: inout APIRoute.Call) async throws -> Response {
        let text = call.parameter("id")
        guard let id = Int64(text), id >= 1 else { throw Problem(.notFound, "no segmentation run \(text) (run ids are positive integers)") }
        let query = Query(call.request)
        let sarif = try Self.wantsSARIF(query, call.request)
        try query.rejectUnknown(["format"])
        let app = service.app
        let record = try service.read { () throws(CSIRTError) in try app.segmentationRun(id: id) }
        guard var document = try? JSONDecoder().decode(SegmentationDocument.self, from: Data(record.report.utf8)) else {
            throw CSIRTError(.failed, "segmentation run \(id): the stored report is not readable")
        }
        document.run = id
        document.checkedAt = ISO8601DateFormatter().string(from: record.checkedAt)
        if sarif {
            return JSONResponse.raw(SegmentationSARIF.encode(document), contentType: "application/sarif+json")
        }
        return JSONResponse.raw(document.encoded(), contentType: "application/json")
    }

    static func wantsSARIF(_ query: Query, _ request: Request) throws -> Bool {
        switch query["format"] {
        case "sarif": return true
        case "json": return false
        case nil: return request.headers[.accept]?.contains("application/sarif+json") ?? false
        case let other?: throw Problem(.badRequest, "format=\(other) is not json or sarif")
        }
    }

    static func summary(_ run: SegmentationRunRecord) -> JSONValue {
        ["id": .integer(run.id ?? 0), "checked_at": .string(RFC3339.format(run.checkedAt)), "site": .string(run.site),
         "site_file": .string(run.siteFile), "policy": .string(run.policyID), "model": .string(run.model),
         "compliant": .bool(run.compliant), "violations": .integer(Int64(run.violations)), "warnings": .integer(Int64(run.warnings))]
    }
}
