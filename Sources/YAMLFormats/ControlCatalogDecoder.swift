import Foundation
import Incidents
import Reports
import Yams

/// Reads a control catalog (`Policies/controls.yaml`, format in docs/controls-format.md) strictly:
/// unknown keys, wrong types, duplicate ids and parameters of another check kind are errors with
/// the line and column where they stand.
public enum ControlCatalogDecoder {
    public static func decode(_ text: String, file: String) throws(YAMLProblems) -> ControlCatalog {
        try NodeReader.read(text, file: file, expected: "a control catalog") { reader, root in reader.controlCatalog(root) }
    }
}

extension NodeReader {
    mutating func controlCatalog(_ root: Node) -> ControlCatalog? {
        guard let top = fields(root, "the control catalog", required: ["catalog", "groups"], optional: []) else { return nil }
        var header: (id: String, version: Int, title: LocalizedText)?
        if let node = top["catalog"], let catalog = fields(node, "catalog", required: ["id", "version", "title"], optional: []) {
            let id = identifier(catalog["id"], "catalog id")
            let version = positiveInteger(catalog["version"], "version")
            let title = localized(catalog["title"], "title")
            if let id, let version, let title { header = (id, version, title) }
        }
        var groups: [ControlGroup] = []
        var groupIDs: [String: Node] = [:]
        var controlIDs: [String: Node] = [:]
        var prefixes: [String: String] = [:]
        let list = sequence(top["groups"], "groups") ?? []
        if top["groups"] != nil && list.isEmpty { problem(top["groups"], "groups must hold at least one group") }
        for item in list {
            guard let group = fields(item, "a group", required: ["id", "title", "controls"], optional: []) else { continue }
            let id = identifier(group["id"], "group id")
            if let id, let node = group["id"] {
                if let earlier = groupIDs[id] { problem(node, "group id \"\(id)\" is used twice (first at line \(earlier.mark?.line ?? 0))") }
                groupIDs[id] = node
            }
            let title = localized(group["title"], "title")
            var controls: [Control] = []
            let items = sequence(group["controls"], "controls") ?? []
            if group["controls"] != nil && items.isEmpty { problem(group["controls"], "controls must hold at least one control") }
            var groupPrefix: String?
            for item in items {
                guard let control = control(item, ids: &controlIDs) else { continue }
                let prefix = String(control.id.prefix { $0 != "-" })
                if let groupPrefix, groupPrefix != prefix {
                    problem(item, "control \(control.id) has prefix \(prefix), but this group's controls use \(groupPrefix)")
                } else if groupPrefix == nil, let id {
                    if let other = prefixes[prefix], other != id { problem(item, "prefix \(prefix) is already used by group \(other)") }
                    prefixes[prefix] = id
                }
                groupPrefix = groupPrefix ?? prefix
                controls.append(control)
            }
            if let id, let title { groups.append(ControlGroup(id: id, title: title, controls: controls)) }
        }
        guard let header, !groups.isEmpty else { return nil }
        return ControlCatalog(id: header.id, version: header.version, title: header.title, groups: groups)
    }

    private mutating func control(_ node: Node, ids: inout [String: Node]) -> Control? {
        guard let fields = fields(node, "a control", required: ["id", "title", "source", "statement", "check", "guidance"],
                                  optional: ["applies_to", "max_age_days", "p90_hours"]) else { return nil }
        var id = string(fields["id"], "control id")
        if let text = id, let idNode = fields["id"] {
            if !Self.isControlID(text) {
                problem(idNode, "control id \"\(text)\" must be an upper-case prefix, '-' and a number without leading zeros (ORG-1, TL-12)")
                id = nil
            } else if let earlier = ids[text] {
                problem(idNode, "control id \"\(text)\" is used twice (first at line \(earlier.mark?.line ?? 0))")
                id = nil
            } else {
                ids[text] = idNode
            }
        }
        let title = localized(fields["title"], "title")
        let source = localized(fields["source"], "source")
        let statement = localized(fields["statement"], "statement")
        let guidance = localized(fields["guidance"], "guidance")
        var appliesTo: [String] = []
        if let listNode = fields["applies_to"] {
            let items = sequence(listNode, "applies_to") ?? []
            if items.isEmpty { problem(listNode, "applies_to must name at least one model (\(ControlCheck.models.joined(separator: ", ")))") }
            for item in items {
                guard let model = string(item, "model") else { continue }
                if !ControlCheck.models.contains(model) {
                    problem(item, "unknown model \"\(model)\" (known: \(ControlCheck.models.joined(separator: ", ")))")
                } else if appliesTo.contains(model) {
                    problem(item, "model \(model) is listed twice")
                } else {
                    appliesTo.append(model)
                }
            }
        }
        var check: ControlCheck?
        if let kindNode = fields["check"], let kind = string(kindNode, "check") {
            let parameters: [String: [String]] = ["segmentation": ["max_age_days"], "containment-time": ["p90_hours"]]
            for name in ["max_age_days", "p90_hours"] where fields[name] != nil && !(parameters[kind] ?? []).contains(name) {
                problem(fields[name], "\(name) is a parameter of check \(name == "p90_hours" ? "containment-time" : "segmentation"), not of \(kind)")
            }
            switch kind {
            case "manual": check = .manual
            case "segmentation":
                check = fields["max_age_days"].map { positiveInteger($0, "max_age_days").map { ControlCheck.segmentation(maxAgeDays: $0) } } ?? .segmentation(maxAgeDays: 31)
            case "incident-steps": check = .incidentSteps
            case "containment-time":
                if let hoursNode = fields["p90_hours"] {
                    if case .scalar(let scalar) = hoursNode, let hours = Double(scalar.string), hours > 0, hours.isFinite {
                        check = .containmentTime(p90Hours: hours)
                    } else {
                        problem(hoursNode, "p90_hours must be a number of hours > 0")
                    }
                } else {
                    problem(kindNode, "check containment-time needs p90_hours (the 90th-percentile target, in hours)")
                }
            case "legal-reports": check = .legalReports
            case "audit-log": check = .auditLog
            case "playbook-coverage": check = .playbookCoverage
            default: problem(kindNode, "unknown check \"\(kind)\" (known: \(ControlCheck.kinds.joined(separator: ", ")))")
            }
        }
        guard let id, let title, let source, let statement, let check, let guidance else { return nil }
        return Control(id: id, title: title, source: source, statement: statement, check: check, guidance: guidance, appliesTo: appliesTo)
    }

    static func isControlID(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let prefix = parts.first, let number = parts.last, let first = prefix.utf8.first,
              first >= 0x41 && first <= 0x5a, prefix.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x30 && $0 <= 0x39) }),
              let lead = number.utf8.first, lead >= 0x31 && lead <= 0x39, number.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              text.count <= 32 else { return false }
        return true
    }

    mutating func positiveInteger(_ node: Node?, _ what: String) -> Int? {
        guard let node else { return nil }
        guard case .scalar(let scalar) = node, let number = Int(scalar.string), number >= 1 else {
            problem(node, "\(what) must be an integer ≥ 1")
            return nil
        }
        return number
    }
}
