import AuditLog
import CanonicalJSON
import CSIRTCrypto
import CSIRTStore
import Foundation
import GRDB
import Incidents
import Reports
import YAMLFormats

/// The formats `csirt report compliance` writes.
public enum ReportFormat: String, CaseIterable, Sendable {
    case md, html, json, csv, sarif, oscal
}

/// A rendered report, its signature and the audit entry that recorded it.
public struct ProducedReport: Sendable {
    public var report: ComplianceReport
    public var bytes: [UInt8]
    public var format: ReportFormat
    public var language: ReportLanguage
    /// The detached signature of `bytes` by the home's signing key (`--sign`), and that key's id.
    public var signature: [UInt8]?
    public var signingKeyID: String?
    /// The audit entry's receipt, once recorded.
    public var receipt: AppendReceipt?
}

extension Application {
    /// The control catalog: `path`, else `controls.yaml` where the segmentation policies are
    /// found (`CSIRT_POLICIES`, `HOME/policies`), else the shipped one (a home made before csirt
    /// had reports has policies but no catalog).
    public func controlCatalog(path: String?) throws(CSIRTError) -> ControlCatalog {
        var file = path ?? PolicyCatalog.defaultDirectory(home: home) + "/controls.yaml"
        if path == nil && !FileManager.default.fileExists(atPath: file) { file = PolicyCatalog.shippedDirectory + "/controls.yaml" }
        let bytes = try InputFile.read(file, limit: 4 << 20, what: "a control catalog")
        guard let text = String(validating: bytes, as: UTF8.self) else { throw CSIRTError(.input, "\(file): not UTF-8 text") }
        do {
            return try ControlCatalogDecoder.decode(text, file: file)
        } catch {
            throw CSIRTError(.input, YAMLProblems.summary(error))
        }
    }

    /// The period `[start, end)` as the legal calendar counts days: `from` and `to` are dates
    /// (`to` included) or times, and the end is never later than now; neither gives the last full
    /// calendar month.
    public func reportPeriod(from: String?, to: String?) throws(CSIRTError) -> ReportPeriod {
        let calendar = try reportingRules().calendar
        switch (from, to) {
        case (nil, nil):
            let thisMonth = calendar.dateInterval(of: .month, for: clock())!.start
            return ReportPeriod(start: calendar.date(byAdding: .month, value: -1, to: thisMonth)!, end: thisMonth)
        case (let from?, let to?):
            let start = try TimeInput.parse(from, zone: calendar.timeZone, what: "--from")
            var end = try TimeInput.parse(to, zone: calendar.timeZone, what: "--to")
            // A date alone means the whole day: the period ends at the next midnight.
            if Self.isDateOnly(to) { end = calendar.date(byAdding: .day, value: 1, to: end)! }
            // A period cannot end in the future: what is overdue "at its end" is not known yet. It
            // ends at the next whole second (what was recorded until now is in, and the printed end
            // is the end used); such a report names the moment it was made, so it is not reproducible.
            end = min(end, Date(timeIntervalSince1970: clock().timeIntervalSince1970.rounded(.up)))
            guard start < end else { throw CSIRTError(.input, "--from \(from) is not before the end of --to \(to) (nor before now)") }
            return ReportPeriod(start: start, end: end)
        default:
            throw CSIRTError(.input, "give both --from and --to, or neither (the last full calendar month)")
        }
    }

    /// A day rather than a time: no time of day and no zone (`2026-3-31` as well as `2026-03-31`).
    static func isDateOnly(_ text: String) -> Bool {
        !text.trimmingCharacters(in: .whitespaces).contains(where: { $0 == "T" || $0 == "t" || $0 == ":" || $0 == " " || $0 == "Z" || $0 == "z" || $0 == "+" })
    }

    /// Everything the controls are evaluated on, as the store and the audit log stand now.
    public func complianceEvidence(period: ReportPeriod) throws(CSIRTError) -> ComplianceEvidence {
        let end = StoredTime.text(period.end), start = StoredTime.text(period.start)
        let (sites, incidents, tasks) = try mapErrors {
            try database.read { db in
                var sites: [SiteEvidence] = []
                let runs = try Row.fetchAll(db, sql: """
                    SELECT id, site, model, policyID, checkedAt, violations, warnings FROM segmentationRun
                    WHERE id IN (SELECT MAX(id) FROM segmentationRun WHERE checkedAt < ? GROUP BY site) ORDER BY site
                    """, arguments: [end])
                for run in runs {
                    let runID: Int64 = run[0]
                    var byRule: [String: Int] = [:]
                    for row in try Row.fetchAll(db, sql: """
                        SELECT COALESCE(ruleID, ''), COUNT(*) FROM segmentationFinding WHERE runID = ? AND level = 'violation' GROUP BY 1
                        """, arguments: [runID]) {
                        byRule[row[0]] = row[1]
                    }
                    sites.append(SiteEvidence(site: run[1], model: run[2], policyID: run[3], runID: runID, checkedAt: run[4],
                                              violations: run[5], warnings: run[6], violationsByRule: byRule))
                }
                var incidents: [IncidentEvidence] = []
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT id, category, severity, segment, status, detectedAt, reportedAt, containedAt, closedAt,
                           CASE status WHEN 'rejected' THEN json_extract(phaseEnteredAt, '$.rejected') END
                    FROM incident WHERE reportedAt < ?
                    """, arguments: [end])
                while let row = try rows.next() {
                    let id: String = row[0]
                    guard let category = IncidentCategory(rawValue: row[1]), let severity = Severity(rawValue: row[2]),
                          let segment = AffectedSegment(rawValue: row[3]), let status = IncidentStatus(rawValue: row[4]) else {
                        throw CSIRTError(.unavailable, "\(id): the stored incident is damaged")
                    }
                    // Phase times are stored as milliseconds since 1970 (GRDB's JSON for dates).
                    let rejectedAt = (row[9] as Double?).map { Date(timeIntervalSince1970: $0 / 1000) }
                    incidents.append(IncidentEvidence(id: id, category: category, severity: severity, segment: segment, status: status,
                                                      detectedAt: try Self.time(row, 5), reportedAt: try Self.time(row, 6),
                                                      containedAt: try Self.optionalTime(row, 7), closedAt: try Self.optionalTime(row, 8),
                                                      rejectedAt: rejectedAt))
                }
                // Only tasks that can matter (years of closed incidents hold millions that cannot):
                // outstanding at the end and due before it (legal reports: due at all), or done after
                // their deadline within the period. Stored times compare as text.
                var tasks: [TaskEvidence] = []
                let taskRows = try Row.fetchCursor(db, sql: """
                    SELECT t.incidentID, t.taskID, t.kind, t.required, t.dueAt, t.state, t.completedAt
                    FROM incidentTask t JOIN incident i ON i.id = t.incidentID AND i.reportedAt < :end
                    WHERE t.dueAt IS NOT NULL AND (
                        ((t.completedAt IS NULL OR t.completedAt >= :end) AND (t.dueAt < :end OR t.kind = :legal))
                        OR (t.state = 'done' AND t.completedAt >= :start AND t.completedAt < :end AND t.completedAt > t.dueAt))
                    """, arguments: ["end": end, "start": start, "legal": IncidentTask.Kind.legal.rawValue])
                while let row = try taskRows.next() {
                    let kind: String = row[2]
                    guard let state = IncidentTask.State(rawValue: row[5]) else {
                        throw CSIRTError(.unavailable, "\(row[0] as String): the stored task \(row[1] as String) is damaged")
                    }
                    tasks.append(TaskEvidence(incidentID: row[0], taskID: row[1],
                                              kind: kind == IncidentTask.Kind.legal.rawValue ? .legalReport : kind == IncidentTask.Kind.step.rawValue ? .step : .notification,
                                              required: row[3], dueAt: try Self.optionalTime(row, 4), state: state, completedAt: try Self.optionalTime(row, 6)))
                }
                return (sites, incidents, tasks)
            }
        }
        return ComplianceEvidence(period: period, sites: sites, incidents: incidents, tasks: tasks, audit: try auditEvidence(),
                                  playbooks: playbookEvidence(), zoneIdentifier: try reportingRules().timeZoneIdentifier)
    }

    /// A stored time, read by `StoredTime` (GRDB's general parser for anything else).
    static func optionalTime(_ row: Row, _ index: Int) throws -> Date? {
        guard let text = row[index] as String? else { return nil }
        if let date = StoredTime.date(text) { return date }
        guard let date = Date.fromDatabaseValue(text.databaseValue) else { throw CSIRTError(.unavailable, "a stored time is not a time: \(text)") }
        return date
    }

    static func time(_ row: Row, _ index: Int) throws -> Date {
        guard let date = try optionalTime(row, index) else { throw CSIRTError(.unavailable, "a stored time is missing") }
        return date
    }

    /// `csirt audit verify` with its defaults, and the head it reached.
    func auditEvidence() throws(CSIRTError) -> AuditEvidence {
        do {
            let verification = try verifyAuditLog()
            let head = verification.lastCheckpoint
            return AuditEvidence(problem: verification.failure?.description, headSeq: head?.size ?? 0, headHash: head?.head.hex ?? "")
        } catch {
            return AuditEvidence(problem: error.message, headSeq: 0, headHash: "")
        }
    }

    func playbookEvidence() -> PlaybookEvidence {
        do {
            let catalog = try playbookCatalog()
            return PlaybookEvidence(problem: nil, uncovered: IncidentCategory.allCases.filter { catalog.playbook(for: $0) == nil })
        } catch {
            return PlaybookEvidence(problem: error.message, uncovered: [])
        }
    }

    /// The report's bytes in `format`. SARIF carries the findings of the segmentation runs the
    /// report used (one SARIF run per site), from their stored documents.
    public func render(_ report: ComplianceReport, format: ReportFormat, language: ReportLanguage) throws(CSIRTError) -> [UInt8] {
        switch format {
        case .md: return ComplianceMarkdown.encode(report, language: language)
        case .html: return ComplianceHTML.encode(report, language: language)
        case .json: return ComplianceJSON.encode(report, language: language)
        case .csv: return ComplianceCSV.encode(report, language: language)
        case .oscal: return ComplianceOSCAL.encode(report, language: language)
        case .sarif:
            var runs: [Any] = []
            for site in report.evidence.sites.sorted(by: { $0.site < $1.site }) {
                let record = try segmentationRun(id: site.runID)
                guard var document = try? JSONDecoder().decode(SegmentationDocument.self, from: Data(record.report.utf8)) else {
                    throw CSIRTError(.unavailable, "segmentation run \(site.runID): its stored result cannot be read")
                }
                document.run = site.runID
                guard let log = (try? JSONSerialization.jsonObject(with: SegmentationSARIF.encode(document))) as? [String: Any],
                      let siteRuns = log["runs"] as? [[String: Any]] else {
                    throw CSIRTError(.unavailable, "segmentation run \(site.runID): its SARIF could not be made")
                }
                // One run per site, told apart by its automation id; each names the report it belongs to.
                for var run in siteRuns {
                    run["automationDetails"] = ["id": "csirt/segmentation/\(site.site)/\(site.runID)"]
                    var properties = run["properties"] as? [String: Any] ?? [:]
                    properties["csirt-report"] = [
                        "catalog": "\(report.catalog.id)@\(report.catalog.version)",
                        "period": ["start": RFC3339.format(report.evidence.period.start), "end": RFC3339.format(report.evidence.period.end)],
                        "audit_head": ["seq": report.evidence.audit.headSeq, "hash": report.evidence.audit.headHash],
                    ] as [String: Any]
                    run["properties"] = properties
                    runs.append(run)
                }
            }
            let log: [String: Any] = ["$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": runs]
            guard let data = try? JSONSerialization.data(withJSONObject: log, options: [.sortedKeys, .withoutEscapingSlashes]) else {
                throw CSIRTError(.unavailable, "the SARIF log could not be written")
            }
            return Array(data) + [0x0a]
        }
    }

    /// Builds and renders the report, and signs it when asked; nothing is recorded yet (the
    /// caller can stage the files first, so that nothing is audited that cannot be written).
    public func prepareComplianceReport(period: ReportPeriod, controlsPath: String?, format: ReportFormat, language: ReportLanguage,
                                        sign: Bool = false) throws(CSIRTError) -> ProducedReport {
        let catalog = try controlCatalog(path: controlsPath)
        let report = ComplianceReport(catalog: catalog, evidence: try complianceEvidence(period: period))
        let bytes = try render(report, format: format, language: language)
        var produced = ProducedReport(report: report, bytes: bytes, format: format, language: language)
        if sign {
            guard let active = try mapErrors({ try database.read { db in try SigningKeyRecord.active(db) } }) else {
                throw CSIRTError(.input, "\(home.root): no active signing key; run `csirt init`")
            }
            let key = try keyStore.activePrivateKey(keyID: active.keyID)
            produced.signature = try mapErrors { try key.sign(bytes) }
            produced.signingKeyID = active.keyID
        }
        return produced
    }

    /// Records that a report was produced (`report.compliance`): the catalog, the period, the
    /// format and language, the result counts, the audit head it was built from, the SHA-256 of
    /// its bytes and the signing key, if signed.
    public func recordComplianceReport(_ produced: ProducedReport, actor: String) throws(CSIRTError) -> AppendReceipt {
        let report = produced.report, period = report.evidence.period
        let details: [String: JSONValue] = [
            "catalog": .string("\(report.catalog.id)@\(report.catalog.version)"), "from": .string(RFC3339.format(period.start)),
            "to": .string(RFC3339.format(period.end)), "format": .string(produced.format.rawValue), "language": .string(produced.language.rawValue),
            "result": .string(report.failed ? "fail" : "pass"),
            "pass": .integer(Int64(report.count(.pass))), "fail": .integer(Int64(report.count(.fail))),
            "not_applicable": .integer(Int64(report.count(.notApplicable))), "manual": .integer(Int64(report.count(.manual))),
            "audit_head_seq": .integer(report.evidence.audit.headSeq), "audit_head": .string(report.evidence.audit.headHash),
            "sha256": .string(Hex.encode(SHA256.hash(produced.bytes))),
            "signed_by": produced.signingKeyID.map(JSONValue.string) ?? .null,
        ]
        let (_, receipt) = try perform { _ in
            Mutation(value: (), entry: AuditEntryDraft(actor: actor, action: "report.compliance", target: "report/\(report.catalog.id)", details: details))
        }
        return receipt
    }

    /// Prepares and records in one go (the HTTP API, which hands the bytes out only after).
    public func produceComplianceReport(period: ReportPeriod, controlsPath: String?, format: ReportFormat, language: ReportLanguage,
                                        sign: Bool = false, actor: String) throws(CSIRTError) -> ProducedReport {
        var produced = try prepareComplianceReport(period: period, controlsPath: controlsPath, format: format, language: language, sign: sign)
        produced.receipt = try recordComplianceReport(produced, actor: actor)
        return produced
    }
}
