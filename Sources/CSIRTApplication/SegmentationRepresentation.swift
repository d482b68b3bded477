import Foundation
import Segmentation

/// The JSON document of a check (`--format json`, and what is stored with each run); its schema
/// is described in docs/segmentation.md.
public struct SegmentationDocument: Codable, Sendable, Equatable {
    public struct PolicyInfo: Codable, Sendable, Equatable {
        public var id: String
        public var file: String
        public var model: String
        public var title: LocalizedTitle
        public var guideline: String
    }

    public struct LocalizedTitle: Codable, Sendable, Equatable {
        public var ja: String
        public var en: String
    }

    public struct FirewallInfo: Codable, Sendable, Equatable {
        public var name: String
        public var file: String
        public var format: String
        public var rules: Int
        public var baseChains: [String]
    }

    public struct Location: Codable, Sendable, Equatable {
        public var file: String
        public var line: Int
        public var path: String?
    }

    public struct RuleInfo: Codable, Sendable, Equatable {
        public var id: String
        public var title: LocalizedTitle
        public var section: String
        public var severity: String
    }

    public struct Witness: Codable, Sendable, Equatable {
        public var inInterface: String
        public var outInterface: String
        public var source: String
        public var destination: String
        public var `protocol`: String
        public var destinationPort: Int?
        public var sourcePort: Int?
    }

    public struct Related: Codable, Sendable, Equatable {
        public var location: Location
        public var text: String
    }

    public struct FindingInfo: Codable, Sendable, Equatable {
        public var kind: String
        public var level: String
        public var rule: RuleInfo?
        public var firewall: String?
        public var location: Location
        public var ruleText: String?
        public var witness: Witness?
        public var related: [Related]
        public var message: String
    }

    public var schema = "csirt-segmentation-check/v1"
    public var run: Int64?
    public var checkedAt: String?
    public var site: String
    public var siteFile: String
    public var model: String
    public var policy: PolicyInfo
    public var compliant: Bool
    public var violations: Int
    public var warnings: Int
    public var inputs: [SegmentationRun.Input]
    public var firewalls: [FirewallInfo]
    public var findings: [FindingInfo]

    public init(_ run: SegmentationRun, includeRun: Bool) {
        let result = run.result
        self.run = includeRun ? run.id : nil
        checkedAt = includeRun ? ISO8601DateFormatter().string(from: run.checkedAt) : nil
        site = result.site
        siteFile = run.siteFile
        model = run.site.model.rawValue
        policy = PolicyInfo(id: run.policy.id, file: run.policy.file, model: run.policy.model.rawValue,
                            title: LocalizedTitle(ja: run.policy.title.ja, en: run.policy.title.en), guideline: run.policy.guideline)
        compliant = result.isCompliant
        violations = result.violations.count
        warnings = result.warnings.count
        inputs = run.inputs
        firewalls = result.firewalls.map {
            FirewallInfo(name: $0.name, file: $0.file, format: $0.format.rawValue, rules: $0.rules, baseChains: $0.baseChains)
        }
        findings = result.findings.map(Self.finding)
    }

    static func location(_ location: SourceLocation) -> Location {
        Location(file: location.file, line: location.line, path: location.path)
    }

    static func finding(_ finding: Finding) -> FindingInfo {
        FindingInfo(kind: finding.kind.rawValue, level: finding.level.rawValue,
                    rule: finding.policyRule.map {
                        RuleInfo(id: $0.id, title: LocalizedTitle(ja: $0.title.ja, en: $0.title.en), section: $0.section, severity: $0.severity.rawValue)
                    },
                    firewall: finding.firewall, location: location(finding.location), ruleText: finding.ruleText,
                    witness: finding.witness.map(witness), related: finding.related.map { Related(location: location($0.location), text: $0.text) },
                    message: finding.message)
    }

    static func witness(_ packet: Packet) -> Witness {
        Witness(inInterface: packet.inInterface, outInterface: packet.outInterface, source: IPv4.format(packet.source),
                destination: IPv4.format(packet.destination), protocol: packet.protocolName,
                destinationPort: packet.hasPorts ? Int(packet.destinationPort) : nil, sourcePort: packet.hasPorts ? Int(packet.sourcePort) : nil)
    }

    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain structs of strings and numbers cannot fail.
        return (try? encoder.encode(self)) ?? Data()
    }
}
