/// Where an incident stands: the phases of NIST SP 800-61 plus `rejected` (a false positive).
public enum IncidentStatus: String, Sendable, CaseIterable, Codable {
    case reported, triage, containment, eradication, recovery, closed, rejected

    public var isOpen: Bool { self != .closed && self != .rejected }

    /// The next phase in the ordinary course, if any.
    public var next: IncidentStatus? {
        switch self {
        case .reported: return .triage
        case .triage: return .containment
        case .containment: return .eradication
        case .eradication: return .recovery
        case .recovery: return .closed
        case .closed, .rejected: return nil
        }
    }
}

/// A change of status and why it is (or is not) allowed.
public enum Transition: Sendable, Hashable {
    case advance(to: IncidentStatus)
    case reject
    case close
    case reopen

    /// The only legal moves:
    /// reported → triage → containment → eradication → recovery → closed;
    /// triage → rejected; closed → triage (reopen, with a reason).
    public static func target(of transition: Transition, from status: IncidentStatus) -> IncidentStatus? {
        switch (transition, status) {
        case (.advance(let to), _): return status.next == to && to != .closed ? to : nil
        case (.reject, .triage): return .rejected
        case (.close, .recovery): return .closed
        case (.reopen, .closed): return .triage
        default: return nil
        }
    }

    public var verb: String {
        switch self {
        case .advance(let to): return "advance to \(to.rawValue)"
        case .reject: return "reject"
        case .close: return "close"
        case .reopen: return "reopen"
        }
    }

    /// A one-line explanation of what is allowed from `status`.
    public static func allowed(from status: IncidentStatus) -> String {
        switch status {
        case .reported: return "from reported: advance to triage"
        case .triage: return "from triage: advance to containment, or reject as a false positive"
        case .containment: return "from containment: advance to eradication"
        case .eradication: return "from eradication: advance to recovery"
        case .recovery: return "from recovery: close"
        case .closed: return "from closed: reopen (with a reason)"
        case .rejected: return "a rejected incident is final"
        }
    }
}
