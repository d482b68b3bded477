import Foundation
import Segmentation

/// A check as SARIF 2.1.0, for code-scanning tools: each finding points at the firewall file and
/// line (or the site description's line for endpoint findings); policy rules are the tool's rules.
public enum SegmentationSARIF {
    struct Log: Encodable {
        var schema = "https://json.schemastore.org/sarif-2.1.0.json"
        var version = "2.1.0"
        var runs: [Run]

        enum CodingKeys: String, CodingKey {
            case schema = "$schema", version, runs
        }
    }

    struct Run: Encodable {
        var tool: Tool
        var results: [Result]
        var properties: [String: String]
    }

    struct Tool: Encodable {
        var driver: Driver
    }

    struct Driver: Encodable {
        var name = "csirt"
        var informationUri = "https://github.com/csirt/csirt/blob/main/docs/segmentation.md"
        var semanticVersion = "0.1.0"
        var rules: [ReportingDescriptor]
    }

    struct Message: Encodable {
        var text: String
    }

    struct ReportingDescriptor: Encodable {
        var id: String
        var name: String
        var shortDescription: Message
        var fullDescription: Message
        var defaultConfiguration: Configuration
        var properties: [String: String]
    }

    struct Configuration: Encodable {
        var level: String
    }

    struct Result: Encodable {
        var ruleId: String
        var ruleIndex: Int
        var level: String
        var message: Message
        var locations: [Location]
        var relatedLocations: [Location]?
        var partialFingerprints: [String: String]
        var properties: Properties?
    }

    struct Properties: Encodable {
        var firewall: String?
        var witness: SegmentationDocument.Witness?
        var kind: String
    }

    struct Location: Encodable {
        var id: Int?
        var physicalLocation: PhysicalLocation
        var message: Message?
    }

    struct PhysicalLocation: Encodable {
        var artifactLocation: ArtifactLocation
        var region: Region
    }

    struct ArtifactLocation: Encodable {
        var uri: String
    }

    struct Region: Encodable {
        var startLine: Int
        var snippet: Message?
    }

    /// error for critical and high policy rules, warning for medium, note for low; hygiene findings are warnings.
    static func level(_ finding: SegmentationDocument.FindingInfo) -> String {
        guard finding.level == Finding.Level.violation.rawValue, let rule = finding.rule else { return "warning" }
        switch RuleSeverity(rawValue: rule.severity) {
        case .critical, .high: return "error"
        case .medium: return "warning"
        case .low: return "note"
        // Only a stored document from some other version could carry a severity this one does not know.
        case nil: return "warning"
        }
    }

    /// The witness as `Packet.description` writes it: a document has no port exactly when the packet's protocol has none.
    static func text(_ witness: SegmentationDocument.Witness) -> String {
        let service = witness.destinationPort.map { "\(witness.protocol)/\($0)" } ?? witness.protocol
        return "\(witness.source) → \(witness.destination) \(service) (in \(witness.inInterface), out \(witness.outInterface))"
    }

    static func uri(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: ":")
        return path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
    }

    static func location(_ location: SegmentationDocument.Location, snippet: String?, id: Int? = nil, message: String? = nil) -> Location {
        Location(id: id, physicalLocation: PhysicalLocation(artifactLocation: ArtifactLocation(uri: uri(location.file)),
                                                            region: Region(startLine: max(1, location.line), snippet: snippet.map(Message.init))),
                 message: message.map(Message.init))
    }

    public static func encode(_ run: SegmentationRun) -> Data {
        encode(SegmentationDocument(run, includeRun: false))
    }

    /// From the document alone, so a stored run (which keeps only its document) gives the same SARIF as the live check.
    public static func encode(_ document: SegmentationDocument) -> Data {
        var descriptors: [ReportingDescriptor] = []
        var index: [String: Int] = [:]
        func descriptor(for finding: SegmentationDocument.FindingInfo) -> (String, Int) {
            let id = finding.rule?.id ?? "csirt/\(finding.kind)"
            if let known = index[id] { return (id, known) }
            let descriptor: ReportingDescriptor
            if let rule = finding.rule {
                descriptor = ReportingDescriptor(id: id, name: rule.id, shortDescription: Message(text: rule.title.en),
                                                 fullDescription: Message(text: "\(rule.title.ja) / \(rule.title.en) (\(rule.section))"),
                                                 defaultConfiguration: Configuration(level: level(finding)),
                                                 properties: ["policy": document.policy.id, "section": rule.section, "severity": rule.severity,
                                                              "title-ja": rule.title.ja])
            } else {
                descriptor = ReportingDescriptor(id: id, name: finding.kind, shortDescription: Message(text: hygieneDescriptions[finding.kind] ?? finding.kind),
                                                 fullDescription: Message(text: hygieneDescriptions[finding.kind] ?? finding.kind),
                                                 defaultConfiguration: Configuration(level: "warning"), properties: [:])
            }
            index[id] = descriptors.count
            descriptors.append(descriptor)
            return (id, descriptors.count - 1)
        }
        var results: [Result] = []
        for finding in document.findings {
            let (id, ruleIndex) = descriptor(for: finding)
            let related = finding.related.enumerated().map { location($1.location, snippet: $1.text, id: $0 + 1, message: $1.text) }
            let witness = finding.witness.map { ". Witness: \(text($0))." } ?? ""
            let fingerprint = [id, finding.firewall ?? "", finding.location.file, finding.ruleText ?? "", finding.message].joined(separator: "\u{1f}")
            results.append(Result(ruleId: id, ruleIndex: ruleIndex, level: level(finding), message: Message(text: finding.message + witness),
                                  locations: [location(finding.location, snippet: finding.ruleText)],
                                  relatedLocations: related.isEmpty ? nil : related,
                                  partialFingerprints: ["csirtFinding/v1": stableHash(fingerprint)],
                                  properties: Properties(firewall: finding.firewall, witness: finding.witness, kind: finding.kind)))
        }
        let log = Log(runs: [Run(tool: Tool(driver: Driver(rules: descriptors)), results: results,
                                 properties: ["site": document.site, "policy": document.policy.id, "model": document.model])])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(log)) ?? Data()
    }

    /// Keyed by the kind as the document writes it.
    static let hygieneDescriptions: [String: String] = [
        Finding.Kind.shadowedRule.rawValue: "A firewall rule that can never match a new flow: earlier rules decide every packet it matches.",
        Finding.Kind.anyToAny.rawValue: "A firewall rule that accepts every new flow, whatever its addresses, protocol and ports.",
        Finding.Kind.unknownInterface.rawValue: "A firewall rule names an interface the site description does not map; traffic on it is not analysed.",
        Finding.Kind.unknownName.rawValue: "The policy names a zone, role or host the site description does not have.",
        Finding.Kind.unreadRule.rawValue: "A firewall rule csirt could only partly read; it is treated conservatively.",
        Finding.Kind.notChecked.rawValue: "A policy rule no firewall of the site could be checked against.",
    ]

    /// FNV-1a, 64 bits: stable across runs and machines (Swift's Hasher is seeded per process).
    static func stableHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
