/// A segmentation policy (`Policies/three-layer-*.yaml`): rules about which traffic between
/// segments, zones and host roles is forbidden, which must stay possible, and which endpoint
/// attributes hosts must declare. Data, so that a site can copy and adapt it.
public struct Policy: Sendable, Equatable {
    public var id: String
    public var model: SeparationModel
    public var title: Title
    public var guideline: String
    public var rules: [PolicyRule]
    public var file: String

    public init(id: String, model: SeparationModel, title: Title, guideline: String, rules: [PolicyRule], file: String) {
        self.id = id
        self.model = model
        self.title = title
        self.guideline = guideline
        self.rules = rules
        self.file = file
    }
}

/// Text in Japanese and English.
public struct Title: Sendable, Equatable, Hashable {
    public var ja: String
    public var en: String

    public init(ja: String, en: String) {
        self.ja = ja
        self.en = en
    }
}

public enum RuleSeverity: String, Sendable, CaseIterable, Comparable {
    case critical, high, medium, low

    public static func < (a: RuleSeverity, b: RuleSeverity) -> Bool {
        allCases.firstIndex(of: a)! > allCases.firstIndex(of: b)!
    }
}

public struct PolicyRule: Sendable, Equatable {
    public var id: String
    public var title: Title
    /// Where in the national guideline the rule comes from.
    public var section: String
    public var severity: RuleSeverity
    public var requirement: Requirement
    public var location: SourceLocation

    public init(id: String, title: Title, section: String, severity: RuleSeverity, requirement: Requirement, location: SourceLocation) {
        self.id = id
        self.title = title
        self.section = section
        self.severity = severity
        self.requirement = requirement
        self.location = location
    }
}

public enum Requirement: Sendable, Equatable {
    /// No new flow from `from` to `to` may pass, except the exceptions.
    case forbid(from: [AddressSelector], to: [AddressSelector], except: [FlowException])
    /// For each service, at least one new flow from `from` to `to` must pass.
    case require(from: [AddressSelector], to: [AddressSelector], services: ServiceList)
    /// Hosts in an area (optionally only some roles) must declare these attributes.
    case endpoint(in: [AddressSelector], roles: [String]?, attributes: [(key: String, value: String)])

    public static func == (a: Requirement, b: Requirement) -> Bool {
        switch (a, b) {
        case let (.forbid(f1, t1, e1), .forbid(f2, t2, e2)): return f1 == f2 && t1 == t2 && e1 == e2
        case let (.require(f1, t1, s1), .require(f2, t2, s2)): return f1 == f2 && t1 == t2 && s1 == s2
        case let (.endpoint(i1, r1, a1), .endpoint(i2, r2, a2)):
            return i1 == i2 && r1 == r2 && a1.map(\.key) == a2.map(\.key) && a1.map(\.value) == a2.map(\.value)
        default: return false
        }
    }
}

/// Traffic a forbid rule allows after all.
public struct FlowException: Sendable, Equatable {
    /// Nil: the rule's own `from` / `to`.
    public var from: [AddressSelector]?
    public var to: [AddressSelector]?
    public var services: ServiceList

    public init(from: [AddressSelector]?, to: [AddressSelector]?, services: ServiceList) {
        self.from = from
        self.to = to
        self.services = services
    }
}

public enum ServiceList: Sendable, Equatable {
    /// Any protocol and port.
    case any
    case listed([Service])
    /// The services each destination host declares in the site description.
    case declared
}

/// A set of addresses named in a policy.
public enum AddressSelector: Sendable, Hashable, CustomStringConvertible {
    case segment(SegmentName)
    case zone(String)
    /// Every address that belongs to no segment (all zones).
    case outside
    case role(String)
    case host(String)
    case any

    public init?(_ text: String) {
        switch text {
        case "outside": self = .outside
        case "any": self = .any
        default:
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty else { return nil }
            switch parts[0] {
            case "segment":
                guard let name = SegmentName(rawValue: parts[1]) else { return nil }
                self = .segment(name)
            case "zone": self = .zone(parts[1])
            case "role": self = .role(parts[1])
            case "host": self = .host(parts[1])
            default: return nil
            }
        }
    }

    public var description: String {
        switch self {
        case .segment(let name): return "segment:\(name.rawValue)"
        case .zone(let name): return "zone:\(name)"
        case .outside: return "outside"
        case .role(let name): return "role:\(name)"
        case .host(let name): return "host:\(name)"
        case .any: return "any"
        }
    }
}
