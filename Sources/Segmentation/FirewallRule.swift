/// A firewall ruleset as csirt analyses it: chains of rules, each a match and a verdict, with the
/// place in the source file every rule came from. Parsers (iptables-save, nftables JSON) produce it;
/// the analysis never sees the original syntax.
public struct Ruleset: Sendable, Equatable {
    public var file: String
    public var chains: [String: Chain]
    /// The base chains a forwarded packet passes, in the order the kernel runs them: `FORWARD` for
    /// iptables; every chain on the forward hook, by priority, for nftables. An accept ends only the
    /// current base chain (the next one still runs); a drop is final.
    public var baseChains: [String]
    /// Lines the parser could not fully read: treated conservatively and reported.
    public var warnings: [SourceWarning]

    public init(file: String, chains: [String: Chain] = [:], baseChains: [String] = ["FORWARD"], warnings: [SourceWarning] = []) {
        self.file = file
        self.chains = chains
        self.baseChains = baseChains
        self.warnings = warnings
    }
}

public struct Chain: Sendable, Equatable {
    public var name: String
    /// Built-in chains have a policy (ACCEPT or DROP); user chains return to their caller.
    public var policy: Verdict?
    public var rules: [Rule]
    /// Where the chain was declared.
    public var location: SourceLocation

    public init(name: String, policy: Verdict?, rules: [Rule] = [], location: SourceLocation) {
        self.name = name
        self.policy = policy
        self.rules = rules
        self.location = location
    }
}

public enum Verdict: String, Sendable, Equatable {
    case accept = "ACCEPT"
    case drop = "DROP"
}

/// What a rule does when it matches.
public enum Action: Sendable, Equatable {
    case accept
    /// DROP and REJECT both deny.
    case drop
    /// Back to the calling chain (or the built-in chain's policy).
    case `return`
    /// Run the chain; if it ends without a verdict, continue after this rule.
    case jump(String)
    /// Run the chain; if it ends without a verdict, the *calling* chain's caller continues.
    case goto(String)
    /// Not a verdict (LOG, NFLOG, MARK, counters …): the packet goes on to the next rule.
    case `continue`
    /// A verdict csirt cannot know (NFQUEUE hands the packet to a program): may accept.
    case unknown(String)
}

public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    /// Where in a JSON document (`$.nftables[12].rule`), for formats whose lines say little.
    public var path: String?

    public init(file: String, line: Int, path: String? = nil) {
        self.file = file
        self.line = line
        self.path = path
    }

    public var description: String { path.map { "\(file):\(line) (\($0))" } ?? "\(file):\(line)" }
}

public struct SourceWarning: Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String

    public init(location: SourceLocation, message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): \(message)" }
}

/// A half-open range of values `lower..<upper` in one header field, stored in 64 bits so that
/// the full 32-bit address space and port range fit.
public struct ValueRange: Sendable, Hashable, CustomStringConvertible {
    public var lower: UInt64
    public var upper: UInt64

    public init(_ lower: UInt64, _ upper: UInt64) {
        self.lower = lower
        self.upper = upper
    }

    public var isEmpty: Bool { lower >= upper }
    public var description: String { "\(lower)..<\(upper)" }
}

/// One field's condition: a set of ranges, possibly negated.
public struct FieldMatch: Sendable, Equatable {
    public var ranges: [ValueRange]
    public var negated: Bool

    public init(ranges: [ValueRange], negated: Bool = false) {
        self.ranges = ranges
        self.negated = negated
    }
}

/// What a rule matches. A nil field matches anything.
public struct Match: Sendable, Equatable {
    public var source: FieldMatch?
    public var destination: FieldMatch?
    /// IP protocol numbers (tcp 6, udp 17, icmp 1 …).
    public var proto: FieldMatch?
    public var destinationPort: FieldMatch?
    public var sourcePort: FieldMatch?
    /// `-i` / `-o`, possibly with a trailing `+` wildcard.
    public var inInterface: InterfaceMatch?
    public var outInterface: InterfaceMatch?
    /// False for rules that never see the first packet of a new flow (`--ctstate ESTABLISHED,RELATED`):
    /// they admit return traffic, not new flows.
    public var matchesNewFlows: Bool
    /// The rule has a match csirt does not understand; the analysis treats it conservatively.
    public var unsupported: [String]

    public init(source: FieldMatch? = nil, destination: FieldMatch? = nil, proto: FieldMatch? = nil, destinationPort: FieldMatch? = nil,
                sourcePort: FieldMatch? = nil, inInterface: InterfaceMatch? = nil, outInterface: InterfaceMatch? = nil,
                matchesNewFlows: Bool = true, unsupported: [String] = []) {
        self.source = source
        self.destination = destination
        self.proto = proto
        self.destinationPort = destinationPort
        self.sourcePort = sourcePort
        self.inInterface = inInterface
        self.outInterface = outInterface
        self.matchesNewFlows = matchesNewFlows
        self.unsupported = unsupported
    }
}

public struct InterfaceMatch: Sendable, Equatable {
    public var name: String
    public var negated: Bool

    public init(name: String, negated: Bool = false) {
        self.name = name
        self.negated = negated
    }

    /// `eth+` matches every name starting with `eth`.
    public func matches(_ interface: String) -> Bool {
        let hit = name.hasSuffix("+") ? interface.hasPrefix(String(name.dropLast())) : interface == name
        return hit != negated
    }
}

public struct Rule: Sendable, Equatable {
    public var match: Match
    public var action: Action
    public var location: SourceLocation
    /// The rule as written, for findings.
    public var text: String

    public init(match: Match, action: Action, location: SourceLocation, text: String) {
        self.match = match
        self.action = action
        self.location = location
        self.text = text
    }
}
