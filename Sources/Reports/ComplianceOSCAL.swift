import CSIRTCrypto
import CanonicalJSON
import Foundation

/// The report as an OSCAL 1.1 assessment-results document: one result for the period, the
/// catalog's controls as the reviewed controls, an observation per control (what csirt saw, or
/// that a person must look) and a finding per evaluated control (satisfied / not-satisfied).
/// UUIDs are derived from the report's content (SHA-256, in the version 5 layout), so the same
/// report gives the same document and different reports different UUIDs.
public enum ComplianceOSCAL {
    public static let oscalVersion = "1.1.2"
    static let namespace = "https://github.com/csirt/csirt/ns/oscal"

    public static func value(_ report: ComplianceReport, language l: ReportLanguage) -> JSONValue {
        let evidence = report.evidence
        // Seeded by the report's content (its JSON), so that different reports never share a UUID.
        let seed = Hex.encode(SHA256.hash(ComplianceJSON.encode(report, language: l)))
        func uuid(_ name: String) -> JSONValue { .string(derivedUUID(seed + "|" + name)) }
        let start = JSONValue.string(RFC3339.format(evidence.period.start)), end = JSONValue.string(RFC3339.format(evidence.period.end))
        var observations: [JSONValue] = []
        var findings: [JSONValue] = []
        for result in report.results {
            let id = result.control.id
            let automated = result.control.check != .manual
            observations.append(.object([
                "uuid": uuid("observation/\(id)"),
                "title": .string("\(id): \(l.text(result.control.title))"),
                "description": .string(l.text(result.reason)),
                "methods": .array([.string(automated ? "TEST" : "EXAMINE")]),
                "collected": end,
                "props": .array([property("result", result.status.rawValue), property("check", result.control.check.kind)]),
            ]))
            guard result.status == .pass || result.status == .fail else { continue }
            findings.append(.object([
                "uuid": uuid("finding/\(id)"),
                "title": .string("\(id): \(l.text(result.control.title))"),
                "description": .string(l.text(result.control.statement)),
                "target": .object([
                    "type": .string("objective-id"),
                    "target-id": .string(id.lowercased() + "_obj"),
                    "status": .object(["state": .string(result.status == .pass ? "satisfied" : "not-satisfied")]),
                ]),
                "related-observations": .array([.object(["observation-uuid": uuid("observation/\(id)")])]),
            ]))
        }
        var resultObject: [String: JSONValue] = [
            "uuid": uuid("result"),
            "title": .string(l.pick("遵守状況の評価", "Compliance assessment") + ": " + l.text(report.catalog.title)),
            "description": .string(l.pick("csirt が自らの証跡（分離点検、インシデント、監査ログ、プレイブック）から評価した結果。監査ログの先頭: seq \(evidence.audit.headSeq), sha256 \(evidence.audit.headHash)",
                                          "Evaluated by csirt from its own evidence (segmentation checks, incidents, the audit log, the playbooks). Audit log head: seq \(evidence.audit.headSeq), sha256 \(evidence.audit.headHash)")),
            "start": start,
            "end": end,
            "reviewed-controls": .object(["control-selections": .array([.object([
                "include-controls": .array(report.results.map { .object(["control-id": .string($0.control.id.lowercased())]) }),
            ])])]),
            "observations": .array(observations),
        ]
        if !findings.isEmpty { resultObject["findings"] = .array(findings) }
        return .object(["assessment-results": .object([
            "uuid": uuid("assessment-results"),
            "metadata": .object([
                "title": .string(l.pick("遵守状況報告書", "Compliance report") + ": " + l.text(report.catalog.title)),
                // The period's end, not the time of writing: the same report gives the same bytes.
                "last-modified": end,
                "version": .string("\(report.catalog.id)-\(report.catalog.version)"),
                "oscal-version": .string(oscalVersion),
            ]),
            // The "plan" is the control catalog, described in the back matter.
            "import-ap": .object(["href": .string("#" + derivedUUID(seed + "|catalog"))]),
            "results": .array([.object(resultObject)]),
            "back-matter": .object(["resources": .array([.object([
                "uuid": uuid("catalog"),
                "title": .string(l.text(report.catalog.title)),
                "description": .string("csirt control catalog \(report.catalog.id), version \(report.catalog.version) (docs/controls-format.md)"),
            ])])]),
        ])])
    }

    public static func encode(_ report: ComplianceReport, language: ReportLanguage) -> [UInt8] {
        CanonicalJSON.serialize(value(report, language: language)) + [0x0a]
    }

    static func property(_ name: String, _ value: String) -> JSONValue {
        .object(["name": .string(name), "value": .string(value), "ns": .string(namespace)])
    }

    /// A UUID from the SHA-256 of `name`, with the version 5 and RFC 4122 variant bits set.
    static func derivedUUID(_ name: String) -> String {
        var bytes = Array(SHA256.hash(Array(name.utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0f) | 0x50
        bytes[8] = (bytes[8] & 0x3f) | 0x80
        let hex = bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }
}
