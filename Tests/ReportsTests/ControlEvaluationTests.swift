import Foundation
import Incidents
import Reports
import XCTest

/// Each check kind of docs/controls-format.md §3, passing and failing.
final class ControlEvaluationTests: XCTestCase {
    func result(_ check: ControlCheck, appliesTo: [String] = [], _ evidence: ComplianceEvidence) -> ControlResult {
        ComplianceReport(catalog: Fixture.catalog([Fixture.control("X-1", check, appliesTo: appliesTo)]), evidence: evidence).results[0]
    }

    func testSegmentation() {
        var evidence = Fixture.passing()
        XCTAssertEqual(result(.segmentation(maxAgeDays: 31), evidence).status, .pass)
        evidence.sites[1].violations = 2
        let failed = result(.segmentation(maxAgeDays: 31), evidence)
        XCTAssertEqual(failed.status, .fail)
        XCTAssertTrue(failed.reason.en.contains("shisho: 2 violations"), failed.reason.en)
        XCTAssertEqual(result(.segmentation(maxAgeDays: 31), appliesTo: ["alpha"], evidence).status, .pass, "only alpha sites count")
        evidence = Fixture.passing()
        evidence.sites[0] = Fixture.site("honcho", checkedDaysBeforeEnd: 40)
        XCTAssertEqual(result(.segmentation(maxAgeDays: 31), evidence).status, .fail, "a run older than max_age_days")
        XCTAssertEqual(result(.segmentation(maxAgeDays: 45), evidence).status, .pass)
        evidence.sites = []
        XCTAssertEqual(result(.segmentation(maxAgeDays: 31), evidence).status, .manual, "no check ever run")
    }

    func testAppliesToMakesOtherModelsNotApplicable() {
        let evidence = Fixture.passing()
        XCTAssertEqual(result(.manual, appliesTo: ["beta-prime"], evidence).status, .notApplicable)
        XCTAssertEqual(result(.manual, appliesTo: ["beta", "beta-prime"], evidence).status, .manual)
        XCTAssertEqual(result(.auditLog, appliesTo: ["alpha-prime"], evidence).status, .notApplicable)
    }

    func testIncidentSteps() {
        var evidence = Fixture.passing()
        XCTAssertEqual(result(.incidentSteps, evidence).status, .pass)
        // Overdue at the end of the period, incident still open.
        evidence.tasks.append(Fixture.task("INC-2026-0001", "collect-logs", dueHoursAfterStart: 100))
        let overdue = result(.incidentSteps, evidence)
        XCTAssertEqual(overdue.status, .fail)
        XCTAssertTrue(overdue.reason.en.contains("INC-2026-0001/collect-logs"), overdue.reason.en)
        // The same step on an incident closed before the end does not count.
        evidence.tasks[evidence.tasks.count - 1] = Fixture.task("INC-2026-0002", "collect-logs", dueHoursAfterStart: 100)
        XCTAssertEqual(result(.incidentSteps, evidence).status, .pass)
        // Done after its deadline within the period.
        evidence.tasks.append(Fixture.task("INC-2026-0001", "report", dueHoursAfterStart: 50, state: .done, completedHoursAfterStart: 60))
        XCTAssertEqual(result(.incidentSteps, evidence).status, .fail)
        // Skipped: neither overdue nor late.
        evidence.tasks[evidence.tasks.count - 1] = Fixture.task("INC-2026-0001", "report", dueHoursAfterStart: 50, state: .skipped, completedHoursAfterStart: 60)
        XCTAssertEqual(result(.incidentSteps, evidence).status, .pass)
        // Done late before the period: not this period's failure.
        evidence.tasks[evidence.tasks.count - 1] = Fixture.task("INC-2026-0001", "report", dueHoursAfterStart: -50, state: .done, completedHoursAfterStart: -10)
        XCTAssertEqual(result(.incidentSteps, evidence).status, .pass)
    }

    func testARejectedIncidentsStepsAreNotOverdueOnceRejected() {
        var evidence = Fixture.passing()
        var rejected = Fixture.incident("INC-2026-0003", containedAfterHours: nil, status: .rejected)
        rejected.rejectedAt = Fixture.start.addingTimeInterval(48 * 3_600)
        evidence.incidents.append(rejected)
        evidence.tasks.append(Fixture.task("INC-2026-0003", "triage", dueHoursAfterStart: 30))
        XCTAssertEqual(result(.incidentSteps, evidence).status, .pass, "a false positive rejected before the end leaves no overdue steps")
        evidence.incidents[evidence.incidents.count - 1].rejectedAt = Fixture.end.addingTimeInterval(3_600)
        XCTAssertEqual(result(.incidentSteps, evidence).status, .fail, "rejected only after the end: open at the end, its step overdue")
    }

    func testBoundariesOfTheHalfOpenPeriod() {
        var evidence = Fixture.passing()
        let endHours = 30.0 * 24
        // Due exactly at the end: not overdue at the end.
        evidence.tasks.append(Fixture.task("INC-2026-0001", "due-at-end", dueHoursAfterStart: endHours))
        XCTAssertEqual(result(.incidentSteps, evidence).status, .pass)
        // Done exactly at the end (the end is not in the period): still outstanding at the end.
        evidence.tasks[evidence.tasks.count - 1] = Fixture.task("INC-2026-0001", "done-at-end", dueHoursAfterStart: endHours - 1, state: .done,
                                                                completedHoursAfterStart: endHours)
        XCTAssertEqual(result(.incidentSteps, evidence).status, .fail)
        // Checked exactly max_age_days before the end: fresh enough.
        evidence = Fixture.passing()
        evidence.sites = [Fixture.site("honcho", checkedDaysBeforeEnd: 31)]
        XCTAssertEqual(result(.segmentation(maxAgeDays: 31), evidence).status, .pass)
        evidence.sites = [Fixture.site("honcho", checkedDaysBeforeEnd: 31.01)]
        let stale = result(.segmentation(maxAgeDays: 31), evidence)
        XCTAssertEqual(stale.status, .fail)
        XCTAssertTrue(stale.reason.en.contains("31.0 days"), stale.reason.en)
    }

    func testLegalReportsOfIncidentsLoggedAfterTheEndDoNotCount() {
        var evidence = Fixture.passing()
        // Its task is in the evidence (say, a careless query), but the incident was not logged yet.
        evidence.tasks.append(Fixture.task("INC-2026-0099", "ppc-preliminary", kind: .legalReport, dueHoursAfterStart: 100))
        XCTAssertEqual(result(.legalReports, evidence).status, .pass)
        XCTAssertEqual(ComplianceReport(catalog: Fixture.catalog([]), evidence: evidence).statistics.overdueReports, 0)
    }

    func testLegalReportsCountWhateverTheIncidentsStatus() {
        var evidence = Fixture.passing()
        XCTAssertEqual(result(.legalReports, evidence).status, .pass)
        // Due after the end of the period and not made yet: still due, not late.
        evidence.tasks.append(Fixture.task("INC-2026-0001", "ppc-final", kind: .legalReport, dueHoursAfterStart: 40 * 24))
        XCTAssertEqual(result(.legalReports, evidence).status, .pass)
        XCTAssertEqual(ComplianceReport(catalog: Fixture.catalog([]), evidence: evidence).statistics.pendingReports, 1)
        evidence.tasks.append(Fixture.task("INC-2026-0002", "ppc-final", kind: .legalReport, dueHoursAfterStart: 200))
        let failed = result(.legalReports, evidence)
        XCTAssertEqual(failed.status, .fail, "the incident is closed, the duty to report is not")
        XCTAssertTrue(failed.reason.ja.contains("INC-2026-0002/ppc-final"), failed.reason.ja)
        XCTAssertEqual(result(.incidentSteps, evidence).status, .pass, "legal reports are not playbook steps")
    }

    func testContainmentTimeNearestRank() {
        var evidence = Fixture.passing()  // 10 h and 20 h
        XCTAssertEqual(result(.containmentTime(p90Hours: 24), evidence).status, .pass)
        let failed = result(.containmentTime(p90Hours: 15), evidence)
        XCTAssertEqual(failed.status, .fail, "with fewer than ten incidents the largest counts")
        XCTAssertTrue(failed.reason.en.contains("20.0 h > target 15.0 h (n = 2)"), failed.reason.en)
        evidence.incidents = (1...10).map { Fixture.incident("INC-2026-\(1000 + $0)", containedAfterHours: $0 == 10 ? 100 : Double($0)) }
        XCTAssertEqual(result(.containmentTime(p90Hours: 9), evidence).status, .pass, "ten incidents: the 9th value (9 h) is P90")
        XCTAssertEqual(Percentile.nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 100], 90), 9)
        XCTAssertEqual(Percentile.nearestRank([5, 1, 3], 50), 3)
        evidence.incidents = [Fixture.incident("INC-2026-0009", containedAfterHours: nil)]
        XCTAssertEqual(result(.containmentTime(p90Hours: 9), evidence).status, .notApplicable)
    }

    func testAuditLogAndPlaybookCoverage() {
        var evidence = Fixture.passing()
        XCTAssertEqual(result(.auditLog, evidence).status, .pass)
        XCTAssertEqual(result(.playbookCoverage, evidence).status, .pass)
        evidence.audit.problem = "line 7: modified"
        evidence.playbooks.uncovered = [.dos, .insider]
        XCTAssertEqual(result(.auditLog, evidence).status, .fail)
        let uncovered = result(.playbookCoverage, evidence)
        XCTAssertEqual(uncovered.status, .fail)
        XCTAssertTrue(uncovered.reason.en.hasSuffix("dos, insider"), uncovered.reason.en)
        XCTAssertTrue(uncovered.reason.ja.hasSuffix("サービス妨害（DoS）、内部不正"), uncovered.reason.ja)
        evidence.playbooks = PlaybookEvidence(problem: "phishing.yaml:3:1: unknown key", uncovered: [])
        XCTAssertEqual(result(.playbookCoverage, evidence).status, .fail)
    }

    func testReportFailsWhenAnyControlFails() {
        let controls = [Fixture.control("A-1", .manual), Fixture.control("A-2", .auditLog), Fixture.control("A-3", .containmentTime(p90Hours: 1))]
        let report = ComplianceReport(catalog: Fixture.catalog(controls), evidence: Fixture.passing())
        XCTAssertEqual(report.results.map(\.status), [.manual, .pass, .fail])
        XCTAssertTrue(report.failed)
        XCTAssertFalse(ComplianceReport(catalog: Fixture.catalog(Array(controls.prefix(2))), evidence: Fixture.passing()).failed,
                       "manual and pass do not fail a report")
    }
}
