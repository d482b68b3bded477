import CSIRTApplication
import Foundation
import Incidents

/// Reads the members of a JSON object body with their types checked, collecting every problem as
/// a field error (a JSON Pointer and what is wrong), so that one 422 names them all. Members the
/// route does not read are errors too: a misspelt field must not be ignored silently.
struct Fields {
    private let members: [String: BodyValue]
    private let prefix: String
    private var read: Set<String> = []
    private(set) var errors: [Problem.FieldError] = []

    init(_ members: [String: BodyValue], prefix: String = "") {
        self.members = members
        self.prefix = prefix
    }

    func pointer(_ key: String) -> String {
        prefix + "/" + key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    mutating func fail(_ key: String, _ detail: String) {
        errors.append(.init(pointer: pointer(key), detail))
    }

    /// The member, or nil when absent. JSON null is refused: a member that can be removed says
    /// so itself (`personal_data`), and silently ignoring a null would hide a client's mistake.
    private mutating func member(_ key: String, required: Bool) -> BodyValue? {
        read.insert(key)
        guard let value = members[key] else {
            if required { fail(key, "required") }
            return nil
        }
        if case .null = value {
            fail(key, required ? "required, and may not be null" : "may not be null (leave the field out instead)")
            return nil
        }
        return value
    }

    /// Marks a member as read (one the caller handled itself, such as a null that removes).
    mutating func accept(_ key: String) {
        read.insert(key)
    }

    func has(_ key: String) -> Bool { members[key] != nil }

    func isNull(_ key: String) -> Bool {
        if case .null? = members[key] { return true }
        return false
    }

    mutating func string(_ key: String, required: Bool = false, maxBytes: Int = 65_536) -> String? {
        guard let value = member(key, required: required) else { return nil }
        guard case .string(let text) = value else { fail(key, "expected a string, found \(value.typeName)"); return nil }
        guard text.utf8.count <= maxBytes else { fail(key, "\(text.utf8.count) bytes; the limit is \(maxBytes)"); return nil }
        // SQLite's C strings would end at it: the text read back would be shorter than the text accepted.
        guard !text.utf8.contains(0) else { fail(key, "contains a NUL character (\\u0000)"); return nil }
        return text
    }

    mutating func integer(_ key: String, required: Bool = false, in range: ClosedRange<Int>) -> Int? {
        guard let value = member(key, required: required) else { return nil }
        switch value {
        case .integer(let number) where number >= range.lowerBound && number <= range.upperBound:
            return Int(number)
        // JSON has one number type, and JSON Schema's integer is any whole one: 1.0 and 1e2 too.
        case .number(let number) where Int(exactly: number).map(range.contains) == true:
            return Int(number)
        case .integer, .number:
            fail(key, "expected an integer from \(range.lowerBound) to \(range.upperBound)")
        default:
            fail(key, "expected an integer, found \(value.typeName)")
        }
        return nil
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let value = member(key, required: false) else { return nil }
        guard case .bool(let flag) = value else { fail(key, "expected true or false, found \(value.typeName)"); return nil }
        return flag
    }

    mutating func strings(_ key: String, maxCount: Int = 1_000) -> [String]? {
        guard let value = member(key, required: false) else { return nil }
        guard case .array(let items) = value else { fail(key, "expected an array of strings, found \(value.typeName)"); return nil }
        guard items.count <= maxCount else { fail(key, "\(items.count) items; the limit is \(maxCount)"); return nil }
        var out: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let text) = item, text.utf8.count <= 4_096 else {
                errors.append(.init(pointer: pointer(key) + "/\(index)", "expected a string of at most 4096 bytes"))
                return nil
            }
            guard !text.utf8.contains(0) else {
                errors.append(.init(pointer: pointer(key) + "/\(index)", "contains a NUL character (\\u0000)"))
                return nil
            }
            out.append(text)
        }
        return out
    }

    /// A string that must be one of a fixed set of names.
    mutating func choice<T>(_ key: String, required: Bool = false, _ parse: (String) -> T?, allowed: [String]) -> T? {
        guard let text = string(key, required: required, maxBytes: 256) else { return nil }
        guard let value = parse(text) else {
            fail(key, "\"\(text)\" is not one of: \(allowed.joined(separator: ", "))")
            return nil
        }
        return value
    }

    /// An RFC 3339 time.
    mutating func time(_ key: String) -> Date? {
        guard let text = string(key, maxBytes: 64) else { return nil }
        guard let date = TimeInput.rfc3339(text) else {
            fail(key, "\"\(text)\" is not a plausible RFC 3339 time (2000–2200) such as 2026-11-23T09:30:00+09:00")
            return nil
        }
        return date
    }

    /// A nested object; its problems are reported under this member's pointer.
    mutating func object(_ key: String) -> Fields? {
        guard let value = member(key, required: false) else { return nil }
        guard case .object(let nested) = value else { fail(key, "expected an object, found \(value.typeName)"); return nil }
        return Fields(nested, prefix: pointer(key))
    }

    /// Every member as a string (uploaded files: name → text); a member that is not is an error.
    mutating func allStrings() -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for key in members.keys.sorted() {
            if let text = string(key, maxBytes: Int.max) { out[key] = Array(text.utf8) }
        }
        return out
    }

    /// Takes a nested object's problems (after it was read in full).
    mutating func absorb(_ nested: Fields) {
        errors += nested.unknownMemberErrors() + nested.errors
    }

    func unknownMemberErrors() -> [Problem.FieldError] {
        members.keys.filter { !read.contains($0) }.sorted().map { .init(pointer: pointer($0), "unknown field") }
    }

    /// Throws one 422 naming every problem, unknown members included.
    func finish() throws(Problem) {
        let all = unknownMemberErrors() + errors
        guard let first = all.first else { return }
        let more = all.count > 1 ? " (and \(all.count - 1) more)" : ""
        throw Problem(.unprocessableContent, "\(first.pointer ?? ""): \(first.detail)\(more)", errors: all)
    }
}

extension Severity {
    static var names: [String] { allCases.map(\.name) }
}
