import Foundation
import Incidents

/// What a compliance report is built from, gathered from the store by the application layer. The
/// evaluation (`ControlEvaluation`) and every format read only this.
public struct ComplianceEvidence: Sendable {
    /// `[start, end)`.
    public var period: ReportPeriod
    /// The latest segmentation run of each site checked before the end, by site name.
    public var sites: [SiteEvidence]
    /// Incidents logged before the end.
    public var incidents: [IncidentEvidence]
    /// Tasks of those incidents that can matter for the period: outstanding at its end (due before
    /// it; legal reports: due at all), or done after their deadline within it. The application
    /// may leave out the others; the evaluation checks again.
    public var tasks: [TaskEvidence]
    public var audit: AuditEvidence
    public var playbooks: PlaybookEvidence
    /// The municipality's zone (the legal calendar's): where months begin in the charts.
    public var zoneIdentifier: String

    public init(period: ReportPeriod, sites: [SiteEvidence], incidents: [IncidentEvidence], tasks: [TaskEvidence], audit: AuditEvidence,
                playbooks: PlaybookEvidence, zoneIdentifier: String = "Asia/Tokyo") {
        self.zoneIdentifier = zoneIdentifier
        self.period = period
        self.sites = sites
        self.incidents = incidents
        self.tasks = tasks
        self.audit = audit
        self.playbooks = playbooks
    }
}

extension ComplianceEvidence {
    /// Violations per policy rule over every site's latest run, by rule id ("-" for none).
    var violationsByRule: [(rule: String, count: Int)] {
        var byRule: [String: Int] = [:]
        for site in sites { for (rule, count) in site.violationsByRule { byRule[rule.isEmpty ? "-" : rule, default: 0] += count } }
        return byRule.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The reports to the PPC of incidents logged before the end, whatever their status.
    var legalReports: [TaskEvidence] {
        let known = Set(incidents.map(\.id))
        return tasks.filter { $0.kind == .legalReport && known.contains($0.incidentID) }
    }
}

public struct ReportPeriod: Sendable, Equatable {
    public var start: Date
    public var end: Date

    public init(start: Date, end: Date) {
        self.start = start
        self.end = end
    }

    public func contains(_ time: Date) -> Bool { start <= time && time < end }
}

public struct SiteEvidence: Sendable, Equatable {
    public var site: String
    public var model: String
    public var policyID: String
    public var runID: Int64
    public var checkedAt: Date
    public var violations: Int
    public var warnings: Int
    /// Violations by policy rule id.
    public var violationsByRule: [String: Int]

    public init(site: String, model: String, policyID: String, runID: Int64, checkedAt: Date, violations: Int, warnings: Int,
                violationsByRule: [String: Int]) {
        self.site = site
        self.model = model
        self.policyID = policyID
        self.runID = runID
        self.checkedAt = checkedAt
        self.violations = violations
        self.warnings = warnings
        self.violationsByRule = violationsByRule
    }
}

public struct IncidentEvidence: Sendable, Equatable {
    public var id: String
    public var category: IncidentCategory
    public var severity: Severity
    public var segment: AffectedSegment
    public var status: IncidentStatus
    public var detectedAt: Date
    public var reportedAt: Date
    public var containedAt: Date?
    public var closedAt: Date?
    /// When it was rejected (a false positive), if its status is `rejected`.
    public var rejectedAt: Date?

    public init(id: String, category: IncidentCategory, severity: Severity, segment: AffectedSegment, status: IncidentStatus,
                detectedAt: Date, reportedAt: Date, containedAt: Date?, closedAt: Date?, rejectedAt: Date? = nil) {
        self.rejectedAt = rejectedAt
        self.id = id
        self.category = category
        self.severity = severity
        self.segment = segment
        self.status = status
        self.detectedAt = detectedAt
        self.reportedAt = reportedAt
        self.containedAt = containedAt
        self.closedAt = closedAt
    }

    /// Still open at `time`: not closed or rejected before it (a reopened incident has neither time).
    func isOpen(at time: Date) -> Bool {
        switch status {
        case .closed: return (closedAt ?? .distantFuture) >= time
        case .rejected: return (rejectedAt ?? closedAt ?? .distantFuture) >= time
        default: return true
        }
    }
}

public struct TaskEvidence: Sendable, Equatable {
    public enum Kind: String, Sendable { case step, notification, legalReport = "legal-report" }

    public var incidentID: String
    public var taskID: String
    public var kind: Kind
    public var required: Bool
    public var dueAt: Date?
    public var state: IncidentTask.State
    public var completedAt: Date?

    public init(incidentID: String, taskID: String, kind: Kind, required: Bool, dueAt: Date?, state: IncidentTask.State, completedAt: Date?) {
        self.incidentID = incidentID
        self.taskID = taskID
        self.kind = kind
        self.required = required
        self.dueAt = dueAt
        self.state = state
        self.completedAt = completedAt
    }

    /// Neither done nor skipped before `time`.
    func isOutstanding(at time: Date) -> Bool {
        guard state != .open, let completedAt else { return true }
        return completedAt >= time
    }

    /// Done (not skipped) within the period, after its deadline.
    func wasDoneLate(in period: ReportPeriod) -> Bool {
        guard state == .done, let completedAt, let dueAt else { return false }
        return period.contains(completedAt) && completedAt > dueAt
    }
}

public struct AuditEvidence: Sendable, Equatable {
    /// The verification's problem, nil when the log is intact up to its head.
    public var problem: String?
    /// The head the report was built from: the last checkpoint's entry count and head hash.
    public var headSeq: Int64
    public var headHash: String

    public init(problem: String?, headSeq: Int64, headHash: String) {
        self.problem = problem
        self.headSeq = headSeq
        self.headHash = headHash
    }
}

public struct PlaybookEvidence: Sendable, Equatable {
    /// Why the playbooks could not be loaded, if they could not.
    public var problem: String?
    /// Categories no playbook covers.
    public var uncovered: [IncidentCategory]

    public init(problem: String?, uncovered: [IncidentCategory]) {
        self.problem = problem
        self.uncovered = uncovered
    }
}
