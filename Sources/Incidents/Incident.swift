import Foundation

/// An incident as the CSIRT tracks it. Times are absolute (stored in UTC, shown in the local zone).
public struct Incident: Sendable, Equatable {
    public var id: IncidentID
    public var title: String
    public var description: String
    public var category: IncidentCategory
    public var severity: Severity
    public var segment: AffectedSegment
    /// Host names or addresses.
    public var assets: [String]
    public var personalData: PersonalData?
    public var reporter: String
    public var assignee: String?
    public var status: IncidentStatus
    /// When the municipality became aware (発覚): the start of every legal deadline.
    public var detectedAt: Date
    /// When it was logged in csirt.
    public var reportedAt: Date
    public var containedAt: Date?
    public var recoveredAt: Date?
    public var closedAt: Date?
    public var tags: [String]
    public var playbookID: String?
    /// When the incident last entered each phase (for due times counted from phase entry).
    public var phaseEnteredAt: [IncidentStatus: Date]
    /// Optimistic concurrency: bumped by every change.
    public var version: Int

    public init(id: IncidentID, title: String, description: String = "", category: IncidentCategory, severity: Severity,
                segment: AffectedSegment = .unknown, assets: [String] = [], personalData: PersonalData? = nil,
                reporter: String, assignee: String? = nil, status: IncidentStatus = .reported, detectedAt: Date, reportedAt: Date,
                containedAt: Date? = nil, recoveredAt: Date? = nil, closedAt: Date? = nil, tags: [String] = [],
                playbookID: String? = nil, phaseEnteredAt: [IncidentStatus: Date] = [:], version: Int = 1) {
        self.id = id
        self.title = title
        self.description = description
        self.category = category
        self.severity = severity
        self.segment = segment
        self.assets = assets
        self.personalData = personalData
        self.reporter = reporter
        self.assignee = assignee
        self.status = status
        self.detectedAt = detectedAt
        self.reportedAt = reportedAt
        self.containedAt = containedAt
        self.recoveredAt = recoveredAt
        self.closedAt = closedAt
        self.tags = tags
        self.playbookID = playbookID
        // The incident is "reported" from the moment it was detected, which lets past incidents be
        // imported with their real transition times.
        self.phaseEnteredAt = phaseEnteredAt.isEmpty ? [.reported: detectedAt] : phaseEnteredAt
        self.version = version
    }

    /// Applies a legal transition at `time`, recording phase entry and the milestone times.
    /// Returns nil when the transition is not allowed from the current status.
    public func applying(_ transition: Transition, at time: Date) -> Incident? {
        guard let target = Transition.target(of: transition, from: status) else { return nil }
        var next = self
        if status == .containment && target == .eradication { next.containedAt = time }
        if target == .closed {
            next.recoveredAt = time
            next.closedAt = time
        }
        if transition == .reopen {
            // A second pass through the phases: their steps count from the new entries.
            next.closedAt = nil
            next.recoveredAt = nil
            next.containedAt = nil
            for phase in [IncidentStatus.containment, .eradication, .recovery, .closed] { next.phaseEnteredAt[phase] = nil }
        }
        next.status = target
        next.phaseEnteredAt[target] = time
        return next
    }
}

/// One entry of an incident's append-only timeline.
public struct TimelineEvent: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case opened, note, assigned, status, step, updated, forced
    }

    public var time: Date
    public var author: String
    public var kind: Kind
    public var text: String

    public init(time: Date, author: String, kind: Kind, text: String) {
        self.time = time
        self.author = author
        self.kind = kind
        self.text = text
    }
}
