import Foundation
import HTTPTypes
import Hummingbird

/// A JSON value as a request body holds it. Numbers keep whether they were integers, so that a
/// field that wants an integer can refuse 1.5 and 1e400 with a clear message.
enum BodyValue: Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([BodyValue])
    case object([String: BodyValue])

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// Reading request bodies: content type (415), size (413), UTF-8 and JSON syntax (400).
enum RequestBody {
    /// The body's bytes, at most `limit` of them.
    static func bytes(_ request: inout Request, limit: Int) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw Problem(.contentTooLarge, "the body is \(length) bytes; the limit is \(limit) (csirt serve --max-body-bytes)")
        }
        do {
            let buffer = try await request.collectBody(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw Problem(.contentTooLarge, "the body is larger than the limit of \(limit) bytes (csirt serve --max-body-bytes)")
        }
    }

    /// Refuses a body whose media type is not one of `accepted` (parameters other than
    /// charset=utf-8 are refused too: csirt reads UTF-8 only).
    static func requireContentType(_ request: Request, _ accepted: [String]) throws {
        guard let header = request.headers[.contentType] else {
            throw Problem(.unsupportedMediaType, "no Content-Type; this route reads \(accepted.joined(separator: " or "))")
        }
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let type = parts.first, accepted.contains(type) else {
            throw Problem(.unsupportedMediaType, "Content-Type \(header) is not read here; send \(accepted.joined(separator: " or "))")
        }
        for parameter in parts.dropFirst() where parameter != "charset=utf-8" && parameter != "charset=\"utf-8\"" {
            throw Problem(.unsupportedMediaType, "Content-Type parameter \(parameter) is not supported; the body must be UTF-8")
        }
    }

    /// A JSON object body.
    static func json(_ request: inout Request, limit: Int) async throws -> Fields {
        try requireContentType(request, ["application/json"])
        let bytes = try await Self.bytes(&request, limit: limit)
        guard !bytes.isEmpty else { throw Problem(.badRequest, "the body is empty; expected a JSON object") }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw Problem(.badRequest, "the body is not valid UTF-8") }
        let value: BodyValue
        do {
            value = try JSONBodyParser.parse(bytes)
        } catch {
            throw Problem(.badRequest, "the body is not valid JSON: \(error.description)")
        }
        guard case .object(let members) = value else {
            throw Problem(.unprocessableContent, "the body is \(value.typeName); expected a JSON object",
                          errors: [.init(pointer: "", "expected an object")])
        }
        return Fields(members)
    }
}
