import Foundation
import Incidents
import Yams

/// Walks the node tree, collecting problems instead of stopping at the first.
struct NodeReader {
    let file: String
    var problems: [YAMLProblem] = []

    /// Parses `text` and lets `body` read the document; every problem found is thrown together,
    /// sorted by place, YAML syntax errors included.
    static func read<T>(_ text: String, file: String, expected: String, _ body: (inout NodeReader, Node) -> T?) throws(YAMLProblems) -> T {
        if let anchor = firstAnchor(text) {
            throw YAMLProblems(problems: [YAMLProblem(file: file, line: anchor.line, column: anchor.column,
                                                      message: "YAML anchors and aliases (&name, *name) are not supported in csirt files; write the value out")])
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw YAMLProblems(problems: [YAMLProblem(file: file, line: 1, column: 1, message: "empty document, expected \(expected)")])
            }
            root = node
        } catch let error as YAMLProblems {
            throw error
        } catch {
            throw YAMLProblems(problems: [yamlProblem(error, file: file)])
        }
        var reader = NodeReader(file: file)
        let value = body(&reader, root)
        if let value, reader.problems.isEmpty { return value }
        throw YAMLProblems(problems: reader.problems.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
    }

    /// The first YAML anchor (`&name` where a node starts), outside quoted strings. csirt's files
    /// never need anchors, and refusing them before parsing keeps a few hundred bytes of nested
    /// aliases from costing the parser's duplicate-key check hours (an "alias bomb").
    static func firstAnchor(_ text: String) -> (line: Int, column: Int)? {
        guard text.utf8.contains(UInt8(ascii: "&")) else { return nil }
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let bytes = Array(line.utf8)
            var quote: UInt8? = nil
            for i in bytes.indices {
                let byte = bytes[i]
                if let open = quote {
                    if byte == open { quote = nil }
                    continue
                }
                if byte == UInt8(ascii: "#") && (i == 0 || bytes[i - 1] == 0x20) { break }
                let startsToken = i == 0 || [0x20, 0x09, UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "?")].contains(bytes[i - 1])
                if (byte == 0x22 || byte == 0x27) && startsToken { quote = byte; continue }
                if byte == UInt8(ascii: "&"), startsToken, i + 1 < bytes.count, ![0x20, 0x09, 0x0d].contains(bytes[i + 1]) {
                    return (index + 1, i + 1)
                }
            }
        }
        return nil
    }

    static func yamlProblem(_ error: any Error, file: String) -> YAMLProblem {
        switch error as? YamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _), .composer(let context, let problem, let mark, _):
            let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            return YAMLProblem(file: file, line: mark.line, column: mark.column, message: "YAML syntax: \(what)")
        case .reader(let problem, _, _, _):
            return YAMLProblem(file: file, line: 1, column: 1, message: "YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return YAMLProblem(file: file, line: context.mark.line, column: context.mark.column,
                                   message: "duplicate key \(duplicates.joined(separator: ", "))")
        default:
            return YAMLProblem(file: file, line: 1, column: 1, message: "YAML: \(error)")
        }
    }

    mutating func problem(_ node: Node?, _ message: String) {
        let mark = node?.mark
        problems.append(YAMLProblem(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message: message))
    }

    /// The mapping's values by key; reports unknown and missing keys.
    mutating func fields(_ node: Node, _ what: String, required: [String], optional: [String]) -> [String: Node]? {
        guard case .mapping(let mapping) = node else {
            problem(node, "\(what) must be a mapping")
            return nil
        }
        var result: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                problem(key, "keys of \(what) must be plain names")
                continue
            }
            guard required.contains(name) || optional.contains(name) else {
                let known = (required + optional).joined(separator: ", ")
                problem(key, "unknown key \"\(name)\" in \(what) (known: \(known))")
                continue
            }
            result[name] = value
        }
        for name in required where result[name] == nil {
            problem(node, "\(what) lacks \"\(name)\"")
        }
        return result
    }

    mutating func string(_ node: Node?, _ what: String) -> String? {
        guard let node else { return nil }
        guard case .scalar(let scalar) = node, !scalar.string.trimmingCharacters(in: .whitespaces).isEmpty else {
            problem(node, "\(what) must be a non-empty string")
            return nil
        }
        return scalar.string
    }

    mutating func identifier(_ node: Node?, _ what: String) -> String? {
        guard let text = string(node, what) else { return nil }
        let allowed = text.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }
        guard allowed, text.utf8.first != 0x2d, text.count <= 64 else {
            problem(node, "\(what) \"\(text)\" must be lowercase letters, digits and '-' (at most 64)")
            return nil
        }
        return text
    }

    mutating func bool(_ node: Node?, _ what: String, default value: Bool) -> Bool {
        guard let node else { return value }
        guard case .scalar(let scalar) = node, let flag = Bool.yaml(scalar.string) else {
            problem(node, "\(what) must be true or false")
            return value
        }
        return flag
    }

    mutating func enumeration<T: RawRepresentable & CaseIterable>(_ node: Node?, _ what: String, _ type: T.Type) -> T? where T.RawValue == String {
        guard let text = string(node, what) else { return nil }
        guard let value = T(rawValue: text) else {
            problem(node, "unknown \(what) \"\(text)\" (known: \(T.allCases.map(\.rawValue).joined(separator: ", ")))")
            return nil
        }
        return value
    }

    mutating func duration(_ node: Node?, _ what: String) -> ISODuration? {
        guard let text = string(node, what) else { return nil }
        do {
            return try ISODuration(parsing: text)
        } catch {
            problem(node, "\(what): \(error.description)")
            return nil
        }
    }

    mutating func localized(_ node: Node?, _ what: String) -> LocalizedText? {
        guard let node else { return nil }
        guard let fields = fields(node, what, required: ["ja", "en"], optional: []) else { return nil }
        guard let ja = string(fields["ja"], "\(what).ja"), let en = string(fields["en"], "\(what).en") else { return nil }
        return LocalizedText(ja: ja, en: en)
    }

    mutating func sequence(_ node: Node?, _ what: String) -> [Node]? {
        guard let node else { return nil }
        guard case .sequence(let sequence) = node else {
            problem(node, "\(what) must be a list")
            return nil
        }
        return Array(sequence)
    }
}
