import Foundation
import Incidents
import Yams

/// Reads a playbook from YAML, strictly: unknown keys, wrong types, bad durations, unknown roles
/// or categories are all errors with the line and column where they stand.
public enum PlaybookDecoder {
    public static func decode(_ text: String, file: String) throws(YAMLProblems) -> Playbook {
        try NodeReader.read(text, file: file, expected: "a playbook") { reader, root in reader.playbook(root) }
    }

}

extension NodeReader {
    // MARK: The playbook

    mutating func playbook(_ root: Node) -> Playbook? {
        guard let top = fields(root, "the playbook", required: ["id", "version", "title", "categories", "phases"],
                               optional: ["description", "references", "notifications"]) else { return nil }
        let id = identifier(top["id"], "id")
        let version = positiveInteger(top["version"], "version")
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
        let from = fields["from"].map { enumeration($0, "from", DueAnchor.self) } ?? .phase
        if fields["from"] != nil && fields["due"] == nil { problem(fields["from"], "from without due") }
        guard let id, let title, let instructions, let role, let from else { return nil }
        return PlaybookStep(id: id, title: title, instructions: instructions, role: role, required: required,
                            evidenceRequired: evidence, due: due, from: from)
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
