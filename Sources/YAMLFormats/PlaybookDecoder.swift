import Foundation
import Incidents
import Yams

/// Reads a playbook from YAML, strictly: unknown keys, wrong types, bad durations, unknown roles
/// or categories are all errors with the line and column where they stand.
public enum PlaybookDecoder {
    public static func decode(_ text: String, file: String) throws(PlaybookProblems) -> Playbook {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw PlaybookProblems(problems: [PlaybookProblem(file: file, line: 1, column: 1, message: "empty document, expected a playbook")])
            }
            root = node
        } catch let error as PlaybookProblems {
            throw error
        } catch {
            throw PlaybookProblems(problems: [yamlProblem(error, file: file)])
        }
        var reader = NodeReader(file: file)
        let playbook = reader.playbook(root)
        if let playbook, reader.problems.isEmpty { return playbook }
        throw PlaybookProblems(problems: reader.problems.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
    }

    static func yamlProblem(_ error: any Error, file: String) -> PlaybookProblem {
        switch error as? YamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _), .composer(let context, let problem, let mark, _):
            let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            return PlaybookProblem(file: file, line: mark.line, column: mark.column, message: "YAML syntax: \(what)")
        case .reader(let problem, _, _, _):
            return PlaybookProblem(file: file, line: 1, column: 1, message: "YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return PlaybookProblem(file: file, line: context.mark.line, column: context.mark.column,
                                   message: "duplicate key \(duplicates.joined(separator: ", "))")
        default:
            return PlaybookProblem(file: file, line: 1, column: 1, message: "YAML: \(error)")
        }
    }
}

extension NodeReader {
    // MARK: The playbook

    mutating func playbook(_ root: Node) -> Playbook? {
        guard let top = fields(root, "the playbook", required: ["id", "version", "title", "categories", "phases"],
                               optional: ["description", "references", "notifications"]) else { return nil }
        let id = identifier(top["id"], "id")
        var version: Int? = nil
        if let node = top["version"] {
            if case .scalar(let scalar) = node, let number = Int(scalar.string), number >= 1 {
                version = number
            } else {
                problem(node, "version must be an integer ≥ 1")
            }
        }
        let title = localized(top["title"], "title")
        let description = localized(top["description"], "description")
        var categories: [IncidentCategory] = []
        if let list = sequence(top["categories"], "categories") {
            if list.isEmpty { problem(top["categories"], "categories must name at least one category") }
            for item in list {
                if let category = enumeration(item, "category", IncidentCategory.self) {
                    if categories.contains(category) { problem(item, "category \(category.rawValue) is listed twice") }
                    categories.append(category)
                }
            }
        }
        let references = (sequence(top["references"], "references") ?? []).compactMap { string($0, "reference") }
        var seenIDs: [String: Node] = [:]
        let phases = phaseSteps(top["phases"], seenIDs: &seenIDs)
        var notifications: [PlaybookNotification] = []
        for item in sequence(top["notifications"], "notifications") ?? [] {
            if let notification = notification(item, seenIDs: &seenIDs) { notifications.append(notification) }
        }
        guard let id, let version, let title, !categories.isEmpty, let phases else { return nil }
        return Playbook(id: id, version: version, title: title, description: description, categories: categories,
                        references: references, phases: phases, notifications: notifications)
    }

    private mutating func uniqueID(_ node: Node?, _ what: String, seenIDs: inout [String: Node]) -> String? {
        guard let id = identifier(node, what) else { return nil }
        if id.hasPrefix("ppc-") {
            problem(node, "ids starting with ppc- are reserved for the PPC reports csirt adds itself")
            return nil
        }
        if let earlier = seenIDs[id] {
            problem(node, "id \"\(id)\" is used twice (first at line \(earlier.mark?.line ?? 0))")
            return nil
        }
        seenIDs[id] = node
        return id
    }

    private mutating func phaseSteps(_ node: Node?, seenIDs: inout [String: Node]) -> [Playbook.PhaseSteps]? {
        guard let node else { return nil }
        let names = playbookPhases.map(\.rawValue)
        guard let fields = fields(node, "phases", required: [], optional: names) else { return nil }
        guard case .mapping(let mapping) = node else { return nil }
        var result: [Playbook.PhaseSteps] = []
        var lastIndex = -1
        for (key, _) in mapping {
            guard let name = key.scalar?.string, let index = names.firstIndex(of: name) else { continue }
            if index < lastIndex { problem(key, "phase \(name) is out of lifecycle order (\(names.joined(separator: " → ")))") }
            lastIndex = max(lastIndex, index)
            var steps: [PlaybookStep] = []
            for item in sequence(fields[name], "phase \(name)") ?? [] {
                if let step = step(item, seenIDs: &seenIDs) { steps.append(step) }
            }
            result.append(Playbook.PhaseSteps(phase: playbookPhases[index], steps: steps))
        }
        if result.allSatisfy({ $0.steps.isEmpty }) { problem(node, "phases hold no steps") }
        return result.sorted { names.firstIndex(of: $0.phase.rawValue)! < names.firstIndex(of: $1.phase.rawValue)! }
    }

    private mutating func step(_ node: Node, seenIDs: inout [String: Node]) -> PlaybookStep? {
        guard let fields = fields(node, "a step", required: ["id", "title", "do", "role"],
                                  optional: ["required", "evidence", "due", "from"]) else { return nil }
        let id = uniqueID(fields["id"], "step id", seenIDs: &seenIDs)
        let title = localized(fields["title"], "title")
        let instructions = localized(fields["do"], "do")
        let role = enumeration(fields["role"], "role", Role.self)
        let required = bool(fields["required"], "required", default: true)
        let evidence = bool(fields["evidence"], "evidence", default: false)
        let due = duration(fields["due"], "due")
        let from = fields["from"].map { enumeration($0, "from", DueAnchorName.self) } ?? .phase
        if fields["from"] != nil && fields["due"] == nil { problem(fields["from"], "from without due") }
        guard let id, let title, let instructions, let role, let from else { return nil }
        return PlaybookStep(id: id, title: title, instructions: instructions, role: role, required: required,
                            evidenceRequired: evidence, due: due, from: from == .detection ? .detection : .phase)
    }

    private mutating func notification(_ node: Node, seenIDs: inout [String: Node]) -> PlaybookNotification? {
        guard let fields = fields(node, "a notification", required: ["id", "to", "title", "due"], optional: ["when"]) else { return nil }
        let id = uniqueID(fields["id"], "notification id", seenIDs: &seenIDs)
        let to = enumeration(fields["to"], "recipient", Recipient.self)
        if to == .ppc {
            problem(fields["to"], "reports to the PPC are added by csirt from the incident's personal data; remove this notification")
        }
        let title = localized(fields["title"], "title")
        let due = duration(fields["due"], "due")
        var condition = Condition()
        if let when = fields["when"], let parts = self.fields(when, "when", required: [], optional: ["min-severity", "personal-data", "segments"]) {
            if let node = parts["min-severity"], let text = string(node, "min-severity") {
                if let severity = Severity(name: text) { condition.minSeverity = severity } else { problem(node, "unknown severity \"\(text)\" (low, medium, high, critical)") }
            }
            if let node = parts["personal-data"] { condition.personalData = bool(node, "personal-data", default: true) }
            if let node = parts["segments"] {
                condition.segments = (sequence(node, "segments") ?? []).compactMap { enumeration($0, "segment", AffectedSegment.self) }
            }
        }
        guard let id, let to, to != .ppc, let title, let due else { return nil }
        return PlaybookNotification(id: id, to: to, title: title, due: due, when: condition)
    }
}

/// `from:` values, as a CaseIterable for error messages.
enum DueAnchorName: String, CaseIterable {
    case detection, phase
}

extension Bool {
    /// YAML 1.2 core schema booleans.
    static func yaml(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }
}
