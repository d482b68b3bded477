import CSIRTApplication
import Hummingbird
import YAMLFormats

/// `/v1/playbooks…`: the home's playbook catalog, and validation of an uploaded playbook.
struct PlaybookRoutes {
    let service: APIService

    var routes: [APIRoute] {
        let service = self.service
        let app = service.app
        return [
            APIRoute(.get, "/v1/playbooks", .needs(.readIncidents)) { _ in
                let catalog = try service.read { () throws(CSIRTError) in try app.playbookCatalog() }
                return JSONResponse.make(["items": .array(catalog.playbooks.map(PlaybookRepresentation.summary))])
            },
            APIRoute(.get, "/v1/playbooks/{id}", .needs(.readIncidents)) { call in
                let id = call.parameter("id")
                let playbook = try service.read { () throws(CSIRTError) in try app.playbookCatalog().playbook(id: id) }
                return JSONResponse.make(PlaybookRepresentation.json(playbook))
            },
            APIRoute(.post, "/v1/playbooks/validate", .needs(.readIncidents)) { call in
                try RequestBody.requireContentType(call.request, ["application/yaml", "application/x-yaml", "text/yaml"])
                let bytes = try await RequestBody.bytes(&call.request, limit: min(service.maxBodyBytes, 1 << 20))
                guard let text = String(validating: bytes, as: UTF8.self) else { throw Problem(.badRequest, "the body is not valid UTF-8") }
                let result = try await service.heavy { () throws(CSIRTError) in PlaybookCatalog.validate(text: text, file: "playbook.yaml") }
                switch result {
                case .success(let playbook):
                    guard case .object(var object) = PlaybookRepresentation.summary(playbook) else { return JSONResponse.make(["valid": true]) }
                    object["valid"] = true
                    return JSONResponse.make(.object(object))
                case .failure(let problems):
                    let errors = problems.problems.map { Problem.FieldError(line: $0.line, column: $0.column, $0.message) }
                    let first = problems.problems.first.map(\.description) ?? "invalid playbook"
                    let more = errors.count > 1 ? " (and \(errors.count - 1) more)" : ""
                    throw Problem(.unprocessableContent, first + more, errors: errors)
                }
            },
        ]
    }
}
