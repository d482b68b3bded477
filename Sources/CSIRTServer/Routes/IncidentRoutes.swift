import CanonicalJSON
import CSIRTApplication
import Foundation
import HTTPTypes
import Hummingbird
import Incidents

/// `/v1/incidents…` and `/v1/overdue`: the same operations as `csirt incident …`.
struct IncidentRoutes {
    let service: APIService

    var routes: [APIRoute] {
        [
            APIRoute(.get, "/v1/incidents", .needs(.readIncidents), list),
            APIRoute(.post, "/v1/incidents", .needs(.changeIncidents), open),
            APIRoute(.get, "/v1/incidents/{id}", .needs(.readIncidents), show),
            APIRoute(.patch, "/v1/incidents/{id}", .needs(.changeIncidents), update),
            APIRoute(.post, "/v1/incidents/{id}/transitions", .needs(.changeIncidents), transition),
            APIRoute(.post, "/v1/incidents/{id}/notes", .needs(.changeIncidents), note),
            APIRoute(.post, "/v1/incidents/{id}/steps/{step}", .needs(.changeIncidents), step),
            APIRoute(.get, "/v1/overdue", .needs(.readIncidents), overdue),
        ]
    }

    static let maximumPage = 500

    // MARK: Reading

    @Sendable func list(_ call: inout APIRoute.Call) async throws -> Response {
        let query = Query(call.request)
        var filter = IncidentFilter()
        filter.statuses = try query.list("status", IncidentStatus.init(rawValue:), allowed: IncidentStatus.allCases.map(\.rawValue))
        filter.severities = try query.list("severity", Severity.init(name:), allowed: Severity.names)
        filter.categories = try query.list("category", IncidentCategory.init(rawValue:), allowed: IncidentCategory.allCases.map(\.rawValue))
        filter.segments = try query.list("segment", AffectedSegment.init(rawValue:), allowed: AffectedSegment.allCases.map(\.rawValue))
        filter.assignee = query["assignee"]
        filter.from = try query.time("from")
        filter.to = try query.time("to")
        filter.openOnly = try query.bool("open") ?? false
        let limit = try query.integer("limit", in: 1...Self.maximumPage) ?? 50
        if let cursor = query["cursor"] {
            guard let id = IncidentID(cursor) else { throw Problem(.badRequest, "cursor \"\(cursor)\" is not one this API returned") }
            filter.after = id
        }
        try query.rejectUnknown(["status", "severity", "category", "segment", "assignee", "from", "to", "open", "limit", "cursor"])
        // A page already written at this generation is the same page (the query is its key).
        let key = call.request.uri.query ?? ""
        if let generation = call.generation, let page = service.pageCache.value(key, at: generation) {
            return JSONResponse.raw(page, contentType: "application/json")
        }
        // One more than asked tells whether there is a next page.
        filter.limit = limit + 1
        let app = service.app
        let found = try service.read { () throws(CSIRTError) in try app.listIncidents(filter) }
        let page = found.prefix(limit)
        var bytes: [UInt8] = Array(#"{"items":["#.utf8)
        bytes.reserveCapacity(page.count * 700)
        for (index, incident) in page.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            IncidentJSON.write(incident, to: &bytes)
        }
        bytes.append(contentsOf: #"],"next_cursor":"#.utf8)
        if found.count > limit, let last = page.last {
            CanonicalJSON.writeString(last.id.description, to: &bytes)
        } else {
            bytes.append(contentsOf: "null".utf8)
        }
        bytes.append(contentsOf: "}\n".utf8)
        if let generation = call.generation { service.pageCache.store(bytes, for: key, at: generation) }
        return JSONResponse.raw(bytes, contentType: "application/json")
    }

    @Sendable func show(_ call: inout APIRoute.Call) async throws -> Response {
        let id = call.parameter("id")
        let app = service.app
        let detail: IncidentDetail
        if let generation = call.generation, let known = service.incidentCache.value(id, at: generation) {
            detail = known
        } else {
            detail = try service.read { () throws(CSIRTError) in try app.incident(id, withPlaybook: false) }
            if let generation = call.generation { service.incidentCache.store(detail, for: id, at: generation) }
        }
        let tag = Self.entityTag(detail.incident.version)
        if let none = call.request.headers[.ifNoneMatch], none.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == tag || $0.trimmingCharacters(in: .whitespaces) == "*" }) {
            return Response(status: .notModified, headers: [.eTag: tag])
        }
        return Self.incidentResponse(detail, now: Date())
    }

    @Sendable func overdue(_ call: inout APIRoute.Call) async throws -> Response {
        let query = Query(call.request)
        let at = try query.time("at") ?? Date()
        try query.rejectUnknown(["at"])
        let app = service.app
        let items = try await service.blocking { () throws(CSIRTError) in try app.overdue(at: at) }
        return JSONResponse.make(["items": .array(items.map(IncidentRepresentation.json))])
    }

    // MARK: Changing

    @Sendable func open(_ call: inout APIRoute.Call) async throws -> Response {
        var fields = try await RequestBody.json(&call.request, limit: service.maxBodyBytes)
        let title = fields.string("title", required: true, maxBytes: 1_024)
        let category = fields.choice("category", required: true, IncidentCategory.init(rawValue:), allowed: IncidentCategory.allCases.map(\.rawValue))
        let severity = fields.choice("severity", required: true, Severity.init(name:), allowed: Severity.names)
        var new = NewIncident(title: title ?? "", category: category ?? .other, severity: severity ?? .low)
        new.description = fields.string("description") ?? ""
        new.segment = fields.choice("segment", AffectedSegment.init(rawValue:), allowed: AffectedSegment.allCases.map(\.rawValue)) ?? .unknown
        new.assets = fields.strings("assets") ?? []
        new.personalData = Self.personalData(&fields)
        new.reporter = fields.string("reporter", maxBytes: 256)
        new.assignee = fields.string("assignee", maxBytes: 256)
        new.detectedAt = fields.time("detected_at")
        new.tags = fields.strings("tags") ?? []
        new.playbookID = fields.string("playbook", maxBytes: 256)
        try fields.finish()
        let app = service.app
        let actor = call.actor
        let detail = try await service.blocking { [new] () throws(CSIRTError) in try app.openIncident(new, actor: actor) }
        var response = Self.incidentResponse(detail, now: Date(), status: .created)
        response.headers[.location] = "/v1/incidents/\(detail.incident.id)"
        return response
    }

    @Sendable func update(_ call: inout APIRoute.Call) async throws -> Response {
        let id = call.parameter("id")
        let precondition = try Self.precondition(call.request)
        if case .none = precondition {
            throw Problem(.preconditionRequired, "PATCH needs If-Match with the incident's ETag (GET /v1/incidents/\(id) gives it), or If-Match: *")
        }
        let expected = precondition.expected
        var fields = try await RequestBody.json(&call.request, limit: service.maxBodyBytes)
        var changes = IncidentChanges()
        changes.title = fields.string("title", maxBytes: 1_024)
        changes.description = fields.string("description")
        changes.category = fields.choice("category", IncidentCategory.init(rawValue:), allowed: IncidentCategory.allCases.map(\.rawValue))
        changes.severity = fields.choice("severity", Severity.init(name:), allowed: Severity.names)
        changes.segment = fields.choice("segment", AffectedSegment.init(rawValue:), allowed: AffectedSegment.allCases.map(\.rawValue))
        changes.assets = fields.strings("assets")
        changes.detectedAt = fields.time("detected_at")
        changes.tags = fields.strings("tags")
        let assignee = fields.string("assignee", maxBytes: 256)
        if fields.isNull("personal_data") {
            fields.accept("personal_data")
            changes.personalData = .some(nil)
        } else if fields.has("personal_data") {
            changes.personalData = .some(Self.personalData(&fields))
        }
        // Assigning is its own audited action (`incident.assign`, as `csirt incident assign`):
        // one PATCH is one change, so it does not mix with other fields.
        if assignee != nil && !changes.isEmpty {
            fields.fail("assignee", "assign in a PATCH of its own (it is its own action, incident.assign)")
        }
        try fields.finish()
        let app = service.app
        let actor = call.actor
        let detail = try await service.blocking { [changes] () throws(CSIRTError) in
            if let assignee { return try app.assign(id, to: assignee, actor: actor, expectedVersion: expected) }
            return try app.update(id, changes: changes, actor: actor, expectedVersion: expected)
        }
        return Self.incidentResponse(detail, now: Date())
    }

    @Sendable func transition(_ call: inout APIRoute.Call) async throws -> Response {
        let id = call.parameter("id")
        let expected = try Self.ifMatch(call.request)
        var fields = try await RequestBody.json(&call.request, limit: service.maxBodyBytes)
        let action = fields.choice("action", required: true, { ["advance", "reject", "close", "reopen"].contains($0) ? $0 : nil },
                                   allowed: ["advance", "reject", "close", "reopen"])
        let to = fields.choice("to", IncidentStatus.init(rawValue:), allowed: IncidentStatus.allCases.map(\.rawValue))
        let reason = fields.string("reason")
        let at = fields.time("at")
        let force = fields.bool("force") ?? false
        if to != nil && action != nil && action != "advance" { fields.fail("to", "only an advance takes \"to\"") }
        if force && action != nil && action != "close" { fields.fail("force", "only a close can be forced") }
        if at != nil && action == "reopen" { fields.fail("at", "a reopen happens now; it takes no time") }
        try fields.finish()
        let app = service.app
        let actor = call.actor
        let detail = try await service.blocking { () throws(CSIRTError) -> IncidentDetail in
            switch action {
            case "reject": return try app.advance(id, to: .rejected, reason: reason ?? "", at: at, actor: actor, expectedVersion: expected)
            case "close": return try app.close(id, force: force, reason: reason, at: at, actor: actor, expectedVersion: expected)
            case "reopen": return try app.reopen(id, reason: reason ?? "", actor: actor, expectedVersion: expected)
            default: return try app.advance(id, to: to, reason: reason, at: at, actor: actor, expectedVersion: expected)
            }
        }
        return Self.incidentResponse(detail, now: Date())
    }

    @Sendable func note(_ call: inout APIRoute.Call) async throws -> Response {
        let id = call.parameter("id")
        let expected = try Self.ifMatch(call.request)
        var fields = try await RequestBody.json(&call.request, limit: service.maxBodyBytes)
        let text = fields.string("text", required: true)
        try fields.finish()
        let app = service.app
        let actor = call.actor
        let detail = try await service.blocking { () throws(CSIRTError) in
            try app.addNote(id, text: text ?? "", actor: actor, expectedVersion: expected)
        }
        return Self.incidentResponse(detail, now: Date(), status: .created)
    }

    @Sendable func step(_ call: inout APIRoute.Call) async throws -> Response {
        let id = call.parameter("id")
        let stepID = call.parameter("step")
        let expected = try Self.ifMatch(call.request)
        var fields = try await RequestBody.json(&call.request, limit: service.maxBodyBytes)
        let state = fields.choice("state", required: true, { ["done", "skipped"].contains($0) ? $0 : nil }, allowed: ["done", "skipped"])
        let evidence = fields.string("evidence")
        let reason = fields.string("reason")
        if state == "done" && reason != nil { fields.fail("reason", "a done step takes evidence, not a reason") }
        if state == "skipped" && evidence != nil { fields.fail("evidence", "a skipped step takes a reason, not evidence") }
        if state == "skipped" && reason == nil { fields.fail("reason", "required to skip a step") }
        try fields.finish()
        let outcome: StepOutcome = state == "skipped" ? .skipped(reason: reason ?? "") : .done(evidence: evidence)
        let app = service.app
        let actor = call.actor
        let detail = try await service.blocking { () throws(CSIRTError) in
            try app.updateStep(id, step: stepID, outcome: outcome, actor: actor, expectedVersion: expected)
        }
        return Self.incidentResponse(detail, now: Date())
    }

    // MARK: Helpers

    static func personalData(_ fields: inout Fields) -> PersonalData? {
        guard var nested = fields.object("personal_data") else { return nil }
        let people = nested.integer("people", required: true, in: 1...100_000_000)
        let data = PersonalData(people: people ?? 1, kinds: nested.strings("kinds") ?? [], specialCare: nested.bool("special_care") ?? false,
                                financialHarm: nested.bool("financial_harm") ?? false, wrongfulPurpose: nested.bool("wrongful_purpose"),
                                encrypted: nested.bool("encrypted") ?? false)
        fields.absorb(nested)
        return data
    }

    static func entityTag(_ version: Int) -> String { "\"\(version)\"" }

    /// What an `If-Match` asks for.
    enum Precondition {
        case none, anyVersion, version(Int)

        var expected: Int? {
            if case .version(let number) = self { return number }
            return nil
        }
    }

    /// The version an `If-Match` names: nil without the header or with `*` (any version). A weak
    /// tag never matches (RFC 9110 compares strongly): 412.
    static func ifMatch(_ request: Request) throws -> Int? {
        try precondition(request).expected
    }

    static func precondition(_ request: Request) throws -> Precondition {
        guard let header = request.headers[.ifMatch]?.trimmingCharacters(in: .whitespaces) else { return .none }
        if header == "*" { return .anyVersion }
        if header.hasPrefix("W/") {
            throw Problem(.preconditionFailed, "If-Match \(header) is a weak tag; it never matches (send the ETag as given, such as \"3\")")
        }
        guard header.count >= 3, header.first == "\"", header.last == "\"", let version = Int(header.dropFirst().dropLast()), version >= 1 else {
            throw Problem(.badRequest, "If-Match \(header) is not an ETag of this API (a version in quotes, such as \"3\")")
        }
        return .version(version)
    }

    static func incidentResponse(_ detail: IncidentDetail, now: Date, status: HTTPResponse.Status = .ok) -> Response {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8_192)
        IncidentJSON.write(detail, at: now, to: &bytes)
        bytes.append(0x0a)
        return JSONResponse.raw(bytes, status: status, contentType: "application/json", headers: [.eTag: entityTag(detail.incident.version)])
    }
}
