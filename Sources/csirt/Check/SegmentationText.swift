import CSIRTApplication
import Foundation
import Segmentation

/// The human-readable result of a check: violations first, each with its proof, then warnings.
enum SegmentationText {
    static func render(_ run: SegmentationRun, color: Bool) -> String {
        let result = run.result
        func paint(_ text: String, _ code: String) -> String { color ? "\u{1b}[\(code)m\(text)\u{1b}[0m" : text }
        // Text from files is sanitised as it is added; only csirt's own markers are painted.
        var lines: [String] = []
        func add(_ text: String) { lines.append(Output.sanitize(text)) }
        func addPainted(_ painted: String, _ text: String) { lines.append(painted + Output.sanitize(text)) }
        add("\(run.site.name) (\(run.site.model.rawValue)) against \(run.policy.id): \(run.policy.title.ja) / \(run.policy.title.en)")
        for firewall in result.firewalls {
            add("  \(firewall.name): \(firewall.file) (\(firewall.format.rawValue), \(firewall.rules) rules)")
        }
        for finding in result.violations {
            add("")
            let rule = finding.policyRule
            let head = rule.map { "\($0.id) [\($0.severity.rawValue)] \($0.title.ja) / \($0.title.en)" } ?? finding.kind.rawValue
            addPainted(paint("VIOLATION", "1;31"), " " + head)
            if let section = rule?.section { add("  guideline: \(section)") }
            switch finding.kind {
            case .forbiddenFlow:
                add("  \(finding.location): \(finding.ruleText ?? "")")
                for related in finding.related { add("    and \(related.location): \(related.text)") }
                if let witness = finding.witness { add("  lets through: \(witness)") }
            case .missingFlow:
                add("  \(finding.message)")
                add("  blocked by \(finding.location): \(finding.ruleText ?? "")")
            default:
                add("  \(finding.location): \(finding.message)")
            }
        }
        if !result.warnings.isEmpty {
            add("")
            for finding in result.warnings {
                let text = finding.ruleText.map { " [\($0)]" } ?? ""
                addPainted(paint("warning", "33"), " \(finding.kind.rawValue) \(finding.location): \(finding.message)\(text)")
            }
        }
        add("")
        let counts = "\(result.violations.count) violation\(result.violations.count == 1 ? "" : "s"), \(result.warnings.count) warning\(result.warnings.count == 1 ? "" : "s")"
        addPainted(result.isCompliant ? paint("COMPLIANT", "1;32") : paint("NOT COMPLIANT", "1;31"), " (\(counts))")
        if let id = run.id { add("recorded as run \(id)") }
        return lines.joined(separator: "\n") + "\n"
    }
}
