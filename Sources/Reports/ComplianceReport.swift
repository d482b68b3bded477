import Foundation
import Incidents

/// A compliance report: every control's result and the evidence behind them, for one period. The
/// same evidence and catalog give the same report, and every format writes it in a stable order.
public struct ComplianceReport: Sendable {
    public var catalog: ControlCatalog
    public var evidence: ComplianceEvidence
    public var results: [ControlResult]
    public var statistics: IncidentStatistics

    public init(catalog: ControlCatalog, evidence: ComplianceEvidence) {
        self.catalog = catalog
        self.evidence = evidence
        self.results = ControlEvaluation.evaluate(catalog, evidence)
        self.statistics = IncidentStatistics(evidence)
    }

    public func count(_ status: ControlStatus) -> Int { results.filter { $0.status == status }.count }

    /// Any failing control fails the report (exit 1), so that cron can act on it.
    public var failed: Bool { results.contains { $0.status == .fail } }
}

/// Incidents logged in the period, and how fast those contained or closed in it were handled.
public struct IncidentStatistics: Sendable {
    public var logged: Int
    public var byCategory: [(IncidentCategory, Int)]
    public var bySeverity: [(Severity, Int)]
    public var bySegment: [(AffectedSegment, Int)]
    /// Hours from detection, over incidents contained (closed) in the period.
    public var containHours: [Double]
    public var closeHours: [Double]
    /// Incidents logged per calendar month of the period (in the evidence's zone), by severity.
    public var byMonth: [(month: String, counts: [Severity: Int])]
    public var overdueSteps: Int
    public var lateSteps: Int
    public var overdueReports: Int
    public var lateReports: Int
    /// Reports to the PPC not yet made whose deadline is still ahead at the end of the period.
    public var pendingReports: Int

    init(_ evidence: ComplianceEvidence) {
        let period = evidence.period
        let logged = evidence.incidents.filter { period.contains($0.reportedAt) }
        self.logged = logged.count
        byCategory = IncidentCategory.allCases.map { category in (category, logged.filter { $0.category == category }.count) }
        bySeverity = Severity.allCases.reversed().map { severity in (severity, logged.filter { $0.severity == severity }.count) }
        bySegment = AffectedSegment.allCases.map { segment in (segment, logged.filter { $0.segment == segment }.count) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: evidence.zoneIdentifier) ?? TimeZone(identifier: "Asia/Tokyo")!
        var months: [(month: String, counts: [Severity: Int])] = []
        var starts: [Date] = []
        var cursor = calendar.dateInterval(of: .month, for: period.start)?.start ?? period.start
        while cursor < period.end, months.count < 240 {
            let parts = calendar.dateComponents([.year, .month], from: cursor)
            months.append((String(format: "%04d-%02d", parts.year ?? 0, parts.month ?? 0), [:]))
            starts.append(cursor)
            guard let next = calendar.date(byAdding: .month, value: 1, to: cursor) else { break }
            cursor = next
        }
        // The month of each incident by binary search over the months' first instants (a calendar
        // call per incident costs seconds for a year of 100,000 incidents).
        for incident in logged {
            var low = 0, high = starts.count
            while low < high {
                let middle = (low + high) / 2
                if starts[middle] <= incident.reportedAt { low = middle + 1 } else { high = middle }
            }
            if low > 0 { months[low - 1].counts[incident.severity, default: 0] += 1 }
        }
        byMonth = months
        containHours = evidence.incidents.compactMap { incident in
            incident.containedAt.flatMap { period.contains($0) ? max(0, $0.timeIntervalSince(incident.detectedAt) / 3_600) : nil }
        }.sorted()
        closeHours = evidence.incidents.compactMap { incident in
            guard incident.status == .closed, let closed = incident.closedAt, period.contains(closed) else { return nil }
            return max(0, closed.timeIntervalSince(incident.detectedAt) / 3_600)
        }.sorted()
        let openAtEnd = Set(evidence.incidents.filter { $0.isOpen(at: period.end) }.map(\.id))
        func overdue(_ task: TaskEvidence) -> Bool {
            guard let due = task.dueAt else { return false }
            return due < period.end && task.isOutstanding(at: period.end)
        }
        let steps = evidence.tasks.filter { $0.kind == .step && $0.required }
        overdueSteps = steps.filter { overdue($0) && openAtEnd.contains($0.incidentID) }.count
        lateSteps = steps.filter { $0.wasDoneLate(in: period) }.count
        let reports = evidence.legalReports
        overdueReports = reports.filter(overdue).count
        lateReports = reports.filter { $0.wasDoneLate(in: period) }.count
        pendingReports = reports.filter { task in task.dueAt.map { $0 >= period.end } ?? false && task.isOutstanding(at: period.end) }.count
    }
}
