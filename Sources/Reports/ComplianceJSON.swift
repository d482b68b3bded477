import CanonicalJSON
import Foundation
import Incidents

/// The report as JSON (schema: docs/reports.md): canonical (keys sorted, no insignificant
/// space), times in RFC 3339 UTC, durations in whole seconds, texts in the chosen language.
public enum ComplianceJSON {
    public static let formatVersion: Int64 = 1

    public static func value(_ report: ComplianceReport, language: ReportLanguage) -> JSONValue {
        let evidence = report.evidence
        let statistics = report.statistics
        func counts<T>(_ pairs: [(T, Int)], _ name: (T) -> String) -> JSONValue {
            .object(Dictionary(uniqueKeysWithValues: pairs.map { (name($0.0), JSONValue.integer(Int64($0.1))) }))
        }
        func durations(_ hours: [Double]) -> JSONValue {
            let seconds = hours.map { Int64(($0 * 3_600).rounded()) }
            return .object([
                "count": .integer(Int64(seconds.count)),
                "median": Percentile.nearestRank(hours, 50).map { .integer(Int64(($0 * 3_600).rounded())) } ?? .null,
                "p90": Percentile.nearestRank(hours, 90).map { .integer(Int64(($0 * 3_600).rounded())) } ?? .null,
            ])
        }
        return .object([
            "format": .string("csirt-compliance-report"),
            "format_version": .integer(formatVersion),
            "language": .string(language.rawValue),
            "catalog": .object([
                "id": .string(report.catalog.id), "version": .integer(Int64(report.catalog.version)),
                "title": .string(language.text(report.catalog.title)),
            ]),
            "period": .object(["start": .string(RFC3339.format(evidence.period.start)), "end": .string(RFC3339.format(evidence.period.end))]),
            "audit_head": .object(["seq": .integer(evidence.audit.headSeq), "hash": .string(evidence.audit.headHash)]),
            "summary": .object([
                "result": .string(report.failed ? "fail" : "pass"),
                "pass": .integer(Int64(report.count(.pass))), "fail": .integer(Int64(report.count(.fail))),
                "not_applicable": .integer(Int64(report.count(.notApplicable))), "manual": .integer(Int64(report.count(.manual))),
            ]),
            "controls": .array(report.results.map { result in
                .object([
                    "id": .string(result.control.id), "group": .string(result.groupID), "title": .string(language.text(result.control.title)),
                    "source": .string(language.text(result.control.source)), "check": .string(result.control.check.kind),
                    "status": .string(result.status.rawValue), "reason": .string(language.text(result.reason)),
                ])
            }),
            "sites": .array(evidence.sites.sorted { $0.site < $1.site }.map { site in
                .object([
                    "site": .string(site.site), "model": .string(site.model), "policy": .string(site.policyID), "run": .integer(site.runID),
                    "checked_at": .string(RFC3339.format(site.checkedAt)), "violations": .integer(Int64(site.violations)),
                    "warnings": .integer(Int64(site.warnings)),
                    "violations_by_rule": .object(site.violationsByRule.mapValues { .integer(Int64($0)) }),
                ])
            }),
            "incidents": .object([
                "logged": .integer(Int64(statistics.logged)),
                "by_category": counts(statistics.byCategory, \.rawValue),
                "by_severity": counts(statistics.bySeverity, \.name),
                "by_segment": counts(statistics.bySegment, \.rawValue),
                "time_to_contain_seconds": durations(statistics.containHours),
                "time_to_close_seconds": durations(statistics.closeHours),
                "overdue_steps": .integer(Int64(statistics.overdueSteps)), "late_steps": .integer(Int64(statistics.lateSteps)),
                "overdue_reports": .integer(Int64(statistics.overdueReports)), "late_reports": .integer(Int64(statistics.lateReports)),
                "pending_reports": .integer(Int64(statistics.pendingReports)),
            ]),
            "audit": .object(["intact": .bool(evidence.audit.problem == nil), "problem": evidence.audit.problem.map(JSONValue.string) ?? .null]),
            "playbooks": .object([
                "problem": evidence.playbooks.problem.map(JSONValue.string) ?? .null,
                "uncovered": .array(evidence.playbooks.uncovered.map { .string($0.rawValue) }),
            ]),
        ])
    }

    public static func encode(_ report: ComplianceReport, language: ReportLanguage) -> [UInt8] {
        CanonicalJSON.serialize(value(report, language: language)) + [0x0a]
    }
}
