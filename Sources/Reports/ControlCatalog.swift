import Incidents

/// A control catalog (`Policies/controls.yaml`, format in docs/controls-format.md): controls in
/// groups, each with what must hold, where it comes from and how csirt checks it.
public struct ControlCatalog: Sendable, Equatable {
    public var id: String
    public var version: Int
    public var title: LocalizedText
    public var groups: [ControlGroup]

    public init(id: String, version: Int, title: LocalizedText, groups: [ControlGroup]) {
        self.id = id
        self.version = version
        self.title = title
        self.groups = groups
    }

    public var controls: [Control] { groups.flatMap(\.controls) }
}

public struct ControlGroup: Sendable, Equatable {
    public var id: String
    public var title: LocalizedText
    public var controls: [Control]

    public init(id: String, title: LocalizedText, controls: [Control]) {
        self.id = id
        self.title = title
        self.controls = controls
    }
}

public struct Control: Sendable, Equatable {
    public var id: String
    public var title: LocalizedText
    public var source: LocalizedText
    public var statement: LocalizedText
    public var check: ControlCheck
    public var guidance: LocalizedText
    /// Three-layer models the control applies to (`alpha`, `alpha-prime`, `beta`, `beta-prime`);
    /// empty: all.
    public var appliesTo: [String]

    public init(id: String, title: LocalizedText, source: LocalizedText, statement: LocalizedText, check: ControlCheck,
                guidance: LocalizedText, appliesTo: [String] = []) {
        self.id = id
        self.title = title
        self.source = source
        self.statement = statement
        self.check = check
        self.guidance = guidance
        self.appliesTo = appliesTo
    }
}

/// How csirt evaluates a control from its own evidence.
public enum ControlCheck: Sendable, Equatable {
    case manual
    case segmentation(maxAgeDays: Int)
    case incidentSteps
    case containmentTime(p90Hours: Double)
    case legalReports
    case auditLog
    case playbookCoverage

    public static let kinds = ["manual", "segmentation", "incident-steps", "containment-time", "legal-reports", "audit-log", "playbook-coverage"]
    public static let models = ["alpha", "alpha-prime", "beta", "beta-prime"]

    public var kind: String {
        switch self {
        case .manual: "manual"
        case .segmentation: "segmentation"
        case .incidentSteps: "incident-steps"
        case .containmentTime: "containment-time"
        case .legalReports: "legal-reports"
        case .auditLog: "audit-log"
        case .playbookCoverage: "playbook-coverage"
        }
    }
}
