import CSIRTApplication
import Foundation
import Hummingbird

/// Query parameters, checked: a bad value or an unknown parameter is a 400 naming it.
struct Query {
    private let pairs: [(String, String)]

    init(_ request: Request) {
        pairs = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
    }

    subscript(name: String) -> String? {
        pairs.last { $0.0 == name }?.1
    }

    /// A comma-separated list of names; empty when absent.
    func list<T>(_ name: String, _ parse: (String) -> T?, allowed: [String]) throws -> [T] {
        guard let text = self[name] else { return [] }
        return try text.split(separator: ",").map { item in
            guard let value = parse(String(item)) else {
                throw Problem(.badRequest, "\(name)=\(item) is not one of: \(allowed.joined(separator: ", "))")
            }
            return value
        }
    }

    func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = self[name] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw Problem(.badRequest, "\(name)=\(text) is not an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func bool(_ name: String) throws -> Bool? {
        guard let text = self[name] else { return nil }
        switch text {
        case "true", "1": return true
        case "false", "0": return false
        default: throw Problem(.badRequest, "\(name)=\(text) is not true or false")
        }
    }

    func time(_ name: String) throws -> Date? {
        guard let text = self[name] else { return nil }
        guard let date = TimeInput.rfc3339(text) else {
            throw Problem(.badRequest, "\(name)=\(text) is not a plausible RFC 3339 time such as 2026-11-23T00:00:00Z")
        }
        return date
    }

    func rejectUnknown(_ known: Set<String>) throws {
        if let unknown = pairs.first(where: { !known.contains($0.0) }) {
            throw Problem(.badRequest, "unknown query parameter \(unknown.0) (known: \(known.sorted().joined(separator: ", ")))")
        }
    }
}
