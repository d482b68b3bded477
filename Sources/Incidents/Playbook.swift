/// Text in both languages csirt speaks.
public struct LocalizedText: Sendable, Hashable, Codable {
    public var ja: String
    public var en: String

    public init(ja: String, en: String) {
        self.ja = ja
        self.en = en
    }
}

/// Who does a step.
public enum Role: String, Sendable, CaseIterable, Codable {
    case responder
    case securityOfficer = "security-officer"
    case ciso
    case itVendor = "it-vendor"
    case systemAdmin = "system-admin"
    case department
    case legal
    case publicRelations = "public-relations"
}

/// Whom a notification goes to (the PPC is handled by csirt's personal-data rules).
public enum Recipient: String, Sendable, CaseIterable, Codable {
    case ciso
    case securityOfficer = "security-officer"
    case prefecture
    case mic
    case police
    case nisc
    case residents
    case `public`
    case jlis
    case ipa
    case jpcert
    case itVendor = "it-vendor"
    /// 個人情報保護委員会: reports are added by `LegalReporting`, not by playbooks.
    case ppc
}

/// When a due time starts counting.
public enum DueAnchor: String, Sendable, Codable, CaseIterable {
    /// From when the incident was detected.
    case detection
    /// From when the incident entered the step's phase.
    case phase
}

/// Conditions under which a notification applies; all given must hold.
public struct Condition: Sendable, Hashable, Codable {
    public var minSeverity: Severity?
    public var personalData: Bool?
    public var segments: [AffectedSegment]?

    public init(minSeverity: Severity? = nil, personalData: Bool? = nil, segments: [AffectedSegment]? = nil) {
        self.minSeverity = minSeverity
        self.personalData = personalData
        self.segments = segments
    }

    public func holds(severity: Severity, hasPersonalData: Bool, segment: AffectedSegment) -> Bool {
        if let minSeverity, severity < minSeverity { return false }
        if let personalData, personalData != hasPersonalData { return false }
        if let segments, !segments.contains(segment) { return false }
        return true
    }
}

public struct PlaybookStep: Sendable, Hashable, Codable {
    public var id: String
    public var title: LocalizedText
    public var instructions: LocalizedText
    public var role: Role
    public var required: Bool
    public var evidenceRequired: Bool
    public var due: ISODuration?
    public var from: DueAnchor

    public init(id: String, title: LocalizedText, instructions: LocalizedText, role: Role, required: Bool = true,
                evidenceRequired: Bool = false, due: ISODuration? = nil, from: DueAnchor = .phase) {
        self.id = id
        self.title = title
        self.instructions = instructions
        self.role = role
        self.required = required
        self.evidenceRequired = evidenceRequired
        self.due = due
        self.from = from
    }
}

public struct PlaybookNotification: Sendable, Hashable, Codable {
    public var id: String
    public var to: Recipient
    public var title: LocalizedText
    /// Counted from detection.
    public var due: ISODuration
    public var when: Condition

    public init(id: String, to: Recipient, title: LocalizedText, due: ISODuration, when: Condition = Condition()) {
        self.id = id
        self.to = to
        self.title = title
        self.due = due
        self.when = when
    }
}

/// The phases that carry steps, in lifecycle order.
public let playbookPhases: [IncidentStatus] = [.reported, .triage, .containment, .eradication, .recovery]

public struct Playbook: Sendable, Hashable, Codable {
    public var id: String
    public var version: Int
    public var title: LocalizedText
    public var description: LocalizedText?
    public var categories: [IncidentCategory]
    public var references: [String]
    /// Steps per phase, in lifecycle order.
    public var phases: [PhaseSteps]
    public var notifications: [PlaybookNotification]

    public struct PhaseSteps: Sendable, Hashable, Codable {
        public var phase: IncidentStatus
        public var steps: [PlaybookStep]

        public init(phase: IncidentStatus, steps: [PlaybookStep]) {
            self.phase = phase
            self.steps = steps
        }
    }

    public init(id: String, version: Int, title: LocalizedText, description: LocalizedText? = nil, categories: [IncidentCategory],
                references: [String] = [], phases: [PhaseSteps], notifications: [PlaybookNotification] = []) {
        self.id = id
        self.version = version
        self.title = title
        self.description = description
        self.categories = categories
        self.references = references
        self.phases = phases
        self.notifications = notifications
    }

    public var steps: [(phase: IncidentStatus, step: PlaybookStep)] {
        phases.flatMap { phase in phase.steps.map { (phase.phase, $0) } }
    }
}
