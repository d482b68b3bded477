/// One result of a segmentation check: a violation of a policy rule (with the firewall rule and a
/// packet that prove it), or a warning about the configuration or the description.
public struct Finding: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A forbidden flow passes the firewall.
        case forbiddenFlow = "forbidden-flow"
        /// A required flow cannot pass.
        case missingFlow = "missing-flow"
        /// A host lacks a required endpoint attribute.
        case endpoint
        /// A rule no packet can ever reach: earlier rules decide all it matches.
        case shadowedRule = "shadowed-rule"
        /// A rule that accepts any new flow, whatever its addresses, protocol and ports.
        case anyToAny = "any-to-any"
        /// A rule names an interface the site description does not map.
        case unknownInterface = "unknown-interface"
        /// A policy names a zone, role or host the site description does not have.
        case unknownName = "unknown-name"
        /// A rule csirt could only partly read (treated conservatively), or a line it skipped.
        case unreadRule = "unread-rule"
        /// A policy rule no firewall of the site could be checked against.
        case notChecked = "not-checked"
    }

    public enum Level: String, Sendable {
        case violation, warning
    }

    public struct PolicyReference: Sendable, Equatable {
        public var id: String
        public var title: Title
        public var section: String
        public var severity: RuleSeverity

        public init(_ rule: PolicyRule) {
            id = rule.id
            title = rule.title
            section = rule.section
            severity = rule.severity
        }
    }

    /// Another rule that took part (the accept of a second base chain, for instance).
    public struct RelatedRule: Sendable, Equatable {
        public var location: SourceLocation
        public var text: String

        public init(location: SourceLocation, text: String) {
            self.location = location
            self.text = text
        }
    }

    public var kind: Kind
    public var level: Level
    public var policyRule: PolicyReference?
    public var firewall: String?
    /// The firewall rule (or the site description's line) the finding is about.
    public var location: SourceLocation
    public var ruleText: String?
    public var witness: Packet?
    public var related: [RelatedRule]
    public var message: String

    public init(kind: Kind, level: Level, policyRule: PolicyReference? = nil, firewall: String? = nil, location: SourceLocation,
                ruleText: String? = nil, witness: Packet? = nil, related: [RelatedRule] = [], message: String) {
        self.kind = kind
        self.level = level
        self.policyRule = policyRule
        self.firewall = firewall
        self.location = location
        self.ruleText = ruleText
        self.witness = witness
        self.related = related
        self.message = message
    }
}

/// What a check found, with what it looked at.
public struct CheckResult: Sendable, Equatable {
    public struct FirewallSummary: Sendable, Equatable {
        public var name: String
        public var file: String
        public var format: RulesetFormat
        public var rules: Int
        public var baseChains: [String]

        public init(name: String, file: String, format: RulesetFormat, rules: Int, baseChains: [String]) {
            self.name = name
            self.file = file
            self.format = format
            self.rules = rules
            self.baseChains = baseChains
        }
    }

    public var site: String
    public var policyID: String
    public var firewalls: [FirewallSummary]
    public var findings: [Finding]

    public init(site: String, policyID: String, firewalls: [FirewallSummary], findings: [Finding]) {
        self.site = site
        self.policyID = policyID
        self.firewalls = firewalls
        self.findings = findings
    }

    public var violations: [Finding] { findings.filter { $0.level == .violation } }
    public var warnings: [Finding] { findings.filter { $0.level == .warning } }
    public var isCompliant: Bool { violations.isEmpty }
}
