import CanonicalJSON
import CSIRTApplication
import HTTPTypes
import Hummingbird

/// An error as the API returns it: RFC 9457 `application/problem+json`. `type` is `about:blank`,
/// so `title` is the status phrase; `detail` says what went wrong and where, in one line.
struct Problem: Error, Sendable {
    /// One problem with one field of the request (a JSON Pointer), or one place in a YAML body.
    struct FieldError: Sendable {
        var pointer: String?
        var line: Int?
        var column: Int?
        var detail: String

        init(pointer: String, _ detail: String) {
            self.pointer = pointer
            self.detail = detail
        }

        init(line: Int, column: Int, _ detail: String) {
            self.line = line
            self.column = column
            self.detail = detail
        }

        var json: JSONValue {
            var object: [String: JSONValue] = ["detail": .string(detail)]
            if let pointer { object["pointer"] = .string(pointer) }
            if let line { object["line"] = .integer(Int64(line)) }
            if let column { object["column"] = .integer(Int64(column)) }
            return .object(object)
        }
    }

    var status: HTTPResponse.Status
    var detail: String
    var errors: [FieldError] = []
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ detail: String, errors: [FieldError] = [], headers: HTTPFields = [:]) {
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers
    }

    /// The application layer's errors, by kind.
    init(_ error: CSIRTError) {
        switch error.kind {
        case .input: self.init(.unprocessableContent, error.message)
        case .notFound: self.init(.notFound, error.message)
        case .conflict: self.init(.conflict, error.message)
        case .stale: self.init(.preconditionFailed, error.message)
        // The audit log or the store failed a check: the server's state, not the request, is at fault.
        case .failed: self.init(.internalServerError, error.message)
        // The details (SQL, paths) go to the server log, not to the client.
        case .unavailable: self.init(.serviceUnavailable, "the server's store is not available right now; retry shortly", headers: [.retryAfter: "5"])
        }
    }

    func response(instance: String) -> Response {
        var object: [String: JSONValue] = [
            "type": "about:blank",
            "title": .string(status.reasonPhrase),
            "status": .integer(Int64(status.code)),
            "detail": .string(detail),
            "instance": .string(instance),
        ]
        if !errors.isEmpty { object["errors"] = .array(errors.map(\.json)) }
        var response = JSONResponse.make(.object(object), status: status, contentType: "application/problem+json")
        response.headers.append(contentsOf: headers)
        return response
    }
}
