import Foundation
import Incidents
import Reports

/// Evidence built by hand: each test changes what it is about and keeps the rest passing.
enum Fixture {
    static let start = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21T...Z
    static let end = start.addingTimeInterval(30 * 86_400)
    static let period = ReportPeriod(start: start, end: end)

    static func site(_ name: String, model: String = "alpha", violations: Int = 0, checkedDaysBeforeEnd: Double = 3) -> SiteEvidence {
        SiteEvidence(site: name, model: model, policyID: "three-layer-\(model)", runID: Int64(name.utf8.reduce(0) { $0 * 31 + Int($1) } % 10_000),
                     checkedAt: end.addingTimeInterval(-checkedDaysBeforeEnd * 86_400), violations: violations, warnings: 1,
                     violationsByRule: violations > 0 ? ["MN-01": violations] : [:])
    }

    static func incident(_ id: String, detectedHoursAfterStart: Double = 24, containedAfterHours: Double? = 10, status: IncidentStatus = .containment,
                         closedAfterHours: Double? = nil, category: IncidentCategory = .malware, severity: Severity = .high) -> IncidentEvidence {
        let detected = start.addingTimeInterval(detectedHoursAfterStart * 3_600)
        return IncidentEvidence(id: id, category: category, severity: severity, segment: .lgwan, status: status, detectedAt: detected,
                                reportedAt: detected.addingTimeInterval(600), containedAt: containedAfterHours.map { detected.addingTimeInterval($0 * 3_600) },
                                closedAt: closedAfterHours.map { detected.addingTimeInterval($0 * 3_600) })
    }

    static func task(_ incident: String, _ id: String, kind: TaskEvidence.Kind = .step, dueHoursAfterStart: Double, state: IncidentTask.State = .open,
                     completedHoursAfterStart: Double? = nil) -> TaskEvidence {
        TaskEvidence(incidentID: incident, taskID: id, kind: kind, required: true, dueAt: start.addingTimeInterval(dueHoursAfterStart * 3_600),
                     state: state, completedAt: completedHoursAfterStart.map { start.addingTimeInterval($0 * 3_600) })
    }

    /// Everything in order: every automated control passes.
    static func passing() -> ComplianceEvidence {
        ComplianceEvidence(
            period: period,
            sites: [site("honcho"), site("shisho", model: "beta")],
            incidents: [incident("INC-2026-0001"), incident("INC-2026-0002", detectedHoursAfterStart: 100, containedAfterHours: 20, status: .closed, closedAfterHours: 50)],
            tasks: [task("INC-2026-0001", "isolate", dueHoursAfterStart: 30, state: .done, completedHoursAfterStart: 29),
                    task("INC-2026-0002", "ppc-preliminary", kind: .legalReport, dueHoursAfterStart: 170, state: .done, completedHoursAfterStart: 150)],
            audit: AuditEvidence(problem: nil, headSeq: 42, headHash: String(repeating: "ab", count: 32)),
            playbooks: PlaybookEvidence(problem: nil, uncovered: []))
    }

    static func catalog(_ controls: [Control]) -> ControlCatalog {
        ControlCatalog(id: "test", version: 1, title: LocalizedText(ja: "試験", en: "Test"),
                       groups: [ControlGroup(id: "all", title: LocalizedText(ja: "全部", en: "All"), controls: controls)])
    }

    static func control(_ id: String, _ check: ControlCheck, appliesTo: [String] = []) -> Control {
        let text = LocalizedText(ja: "\(id)の文", en: "text of \(id)")
        return Control(id: id, title: text, source: text, statement: text, check: check, guidance: text, appliesTo: appliesTo)
    }
}
