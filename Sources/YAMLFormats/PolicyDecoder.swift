import Foundation
import Segmentation
import Yams

/// Reads a segmentation policy (`Policies/three-layer-*.yaml`, format in Policies/README.md),
/// strictly: unknown keys, unknown selectors, bad services and duplicate ids are errors with
/// their line and column.
public enum PolicyDecoder {
    public static func decode(_ text: String, file: String) throws(YAMLProblems) -> Policy {
        try NodeReader.read(text, file: file, expected: "a segmentation policy") { reader, root in reader.policy(root) }
    }
}

extension NodeReader {
    mutating func policy(_ root: Node) -> Policy? {
        guard let top = fields(root, "the policy", required: ["policy", "model", "title", "guideline", "rules"], optional: ["description"]) else { return nil }
        let id = identifier(top["policy"], "policy")
        let model = top["model"].flatMap { enumeration($0, "model", SeparationModel.self) }
        let title = localized(top["title"], "title").map { Title(ja: $0.ja, en: $0.en) }
        let guideline = string(top["guideline"], "guideline")
        var rules: [PolicyRule] = []
        var seen: [String: Int] = [:]
        let items = sequence(top["rules"], "rules") ?? []
        if top["rules"] != nil && items.isEmpty { problem(top["rules"], "rules lists no rule") }
        for item in items {
            guard let rule = policyRule(item) else { continue }
            if let line = seen[rule.id] {
                problem(item, "rule id \(rule.id) is used twice (first at line \(line))")
                continue
            }
            seen[rule.id] = rule.location.line
            rules.append(rule)
        }
        guard let id, let model, let title, let guideline, problems.isEmpty else { return nil }
        return Policy(id: id, model: model, title: title, guideline: guideline, rules: rules, file: file)
    }

    private mutating func policyRule(_ node: Node) -> PolicyRule? {
        guard let fields = fields(node, "a rule", required: ["id", "title", "section", "severity"],
                                  optional: ["forbid", "require", "endpoint", "description"]) else { return nil }
        let id = string(fields["id"], "rule id")
        if let id, !id.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d || $0 == 0x5f }) {
            problem(fields["id"], "rule id \"\(id)\" must be capital letters, digits, '-' and '_'")
        }
        let title = localized(fields["title"], "title").map { Title(ja: $0.ja, en: $0.en) }
        let section = string(fields["section"], "section")
        let severity = fields["severity"].flatMap { enumeration($0, "severity", RuleSeverity.self) }
        let kinds = ["forbid", "require", "endpoint"].filter { fields[$0] != nil }
        guard kinds.count == 1 else {
            problem(node, "a rule has exactly one of forbid, require or endpoint (this one has \(kinds.isEmpty ? "none" : kinds.joined(separator: " and ")))")
            return nil
        }
        let requirement: Requirement?
        switch kinds[0] {
        case "forbid": requirement = forbid(fields["forbid"]!)
        case "require": requirement = require(fields["require"]!)
        default: requirement = endpoint(fields["endpoint"]!)
        }
        guard let id, let title, let section, let severity, let requirement else { return nil }
        return PolicyRule(id: id, title: title, section: section, severity: severity, requirement: requirement,
                          location: SourceLocation(file: file, line: node.mark?.line ?? 1))
    }

    private mutating func forbid(_ node: Node) -> Requirement? {
        guard let fields = fields(node, "forbid", required: ["from", "to"], optional: ["except"]) else { return nil }
        let from = selectors(fields["from"], "from"), to = selectors(fields["to"], "to")
        var exceptions: [FlowException] = []
        for item in sequence(fields["except"], "except") ?? [] {
            guard let entry = self.fields(item, "an exception", required: [], optional: ["from", "to", "services"]) else { continue }
            if entry.isEmpty { problem(item, "an exception names at least one of from, to, services") }
            let exceptionFrom = entry["from"].flatMap { selectors($0, "from") }
            let exceptionTo = entry["to"].flatMap { selectors($0, "to") }
            let services = entry["services"].map { serviceList($0) } ?? .any
            // A key that was written but could not be read has already been reported.
            guard (entry["from"] == nil) == (exceptionFrom == nil), (entry["to"] == nil) == (exceptionTo == nil), let services else { continue }
            exceptions.append(FlowException(from: exceptionFrom, to: exceptionTo, services: services))
        }
        guard let from, let to else { return nil }
        return .forbid(from: from, to: to, except: exceptions)
    }

    private mutating func require(_ node: Node) -> Requirement? {
        guard let fields = fields(node, "require", required: ["from", "to", "services"], optional: []) else { return nil }
        let from = selectors(fields["from"], "from"), to = selectors(fields["to"], "to")
        let services = fields["services"].flatMap { serviceList($0) }
        guard let from, let to, let services else { return nil }
        return .require(from: from, to: to, services: services)
    }

    private mutating func endpoint(_ node: Node) -> Requirement? {
        guard let fields = fields(node, "endpoint", required: ["in", "require"], optional: ["roles"]) else { return nil }
        let area = selectors(fields["in"], "in")
        let roles = fields["roles"].map { (sequence($0, "roles") ?? []).compactMap { string($0, "role") } }
        var attributes: [(key: String, value: String)] = []
        if let required = fields["require"] {
            if case .mapping(let mapping) = required, !mapping.isEmpty {
                for (key, value) in mapping {
                    guard let name = string(key, "attribute"), let expected = string(value, "attribute \(key.scalar?.string ?? "")") else { continue }
                    attributes.append((name, expected))
                }
            } else {
                problem(required, "endpoint require must map attributes to values, e.g. {two-factor: true}")
            }
        }
        guard let area, !attributes.isEmpty else { return nil }
        return .endpoint(in: area, roles: roles, attributes: attributes)
    }

    /// A selector or a list of them.
    private mutating func selectors(_ node: Node?, _ what: String) -> [AddressSelector]? {
        guard let node else { return nil }
        let items: [Node]
        if case .sequence(let sequence) = node { items = Array(sequence) } else { items = [node] }
        if items.isEmpty {
            problem(node, "\(what) names no selector")
            return nil
        }
        var result: [AddressSelector] = []
        for item in items {
            guard let text = string(item, what) else { return nil }
            guard let selector = AddressSelector(text) else {
                problem(item, "\(what): unknown selector \"\(text)\" (segment:mynumber|lgwan|internet, zone:NAME, role:NAME, host:NAME, outside, any)")
                return nil
            }
            result.append(selector)
        }
        return result
    }

    private mutating func serviceList(_ node: Node) -> ServiceList? {
        if case .scalar(let scalar) = node {
            if scalar.string == "declared" { return .declared }
            if scalar.string == "any" { return .any }
        }
        guard let items = sequence(node, "services (a list like [tcp/443], or declared, or any)") else { return nil }
        var services: [Service] = []
        for item in items {
            guard let text = string(item, "service") else { return nil }
            guard let service = Service(text) else {
                problem(item, "service \(text) is not proto/port (e.g. tcp/443, udp/1000-2000)")
                return nil
            }
            services.append(service)
        }
        if services.isEmpty {
            problem(node, "services lists nothing (omit it for any traffic)")
            return nil
        }
        return .listed(services)
    }
}
