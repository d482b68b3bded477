import Foundation

/// A concrete thing to do for one incident: a playbook step, a playbook notification, or a
/// legal report csirt adds itself.
public struct IncidentTask: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case step, notification, legal
    }

    public enum State: String, Sendable, Codable {
        case open, done, skipped
    }

    /// The step or notification id (`ppc-preliminary`, `ppc-final` for legal reports).
    public var id: String
    public var kind: Kind
    /// The phase a step belongs to; nil for notifications and legal reports.
    public var phase: IncidentStatus?
    public var title: LocalizedText
    /// The role (steps) or the recipient (notifications, legal reports).
    public var owner: String
    public var required: Bool
    public var evidenceRequired: Bool
    /// Nil while the due time cannot be known yet (its phase has not started).
    public var dueAt: Date?
    public var state: State
    public var evidence: String?
    public var reason: String?
    public var completedAt: Date?
    public var completedBy: String?
    /// Order in the playbook, for stable listing.
    public var position: Int

    public init(id: String, kind: Kind, phase: IncidentStatus?, title: LocalizedText, owner: String, required: Bool,
                evidenceRequired: Bool, dueAt: Date?, state: State = .open, evidence: String? = nil, reason: String? = nil,
                completedAt: Date? = nil, completedBy: String? = nil, position: Int) {
        self.id = id
        self.kind = kind
        self.phase = phase
        self.title = title
        self.owner = owner
        self.required = required
        self.evidenceRequired = evidenceRequired
        self.dueAt = dueAt
        self.state = state
        self.evidence = evidence
        self.reason = reason
        self.completedAt = completedAt
        self.completedBy = completedBy
        self.position = position
    }

    public func isOverdue(at time: Date) -> Bool {
        state == .open && (dueAt.map { $0 < time } ?? false)
    }
}
