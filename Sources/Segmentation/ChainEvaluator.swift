/// How to read rules csirt does not fully understand: so that they never make a verdict look
/// safer than it is. To find forbidden traffic, such a rule may accept (`permissive`); to prove
/// that required traffic passes, it may drop (`restrictive`).
public enum Reading: Sendable {
    case permissive
    case restrictive
}

/// Who let a set of packets through: a rule, or a built-in chain's policy.
public enum Origin: Sendable, Equatable {
    case rule(Rule)
    case policy(chain: String, location: SourceLocation)

    public var location: SourceLocation {
        switch self {
        case .rule(let rule): return rule.location
        case .policy(_, let location): return location
        }
    }

    public var text: String {
        switch self {
        case .rule(let rule): return rule.text
        case .policy(let chain, _): return ":\(chain) ACCEPT (the chain's default policy)"
        }
    }
}

/// Exact first-match evaluation of a chain over a set of packets (the NEW packet of each flow),
/// for one pair of input and output interfaces. Returns which packets are accepted, and by whom.
public struct ChainEvaluator: Sendable {
    public let ruleset: Ruleset
    public let universe: Universe
    public let inInterface: String
    public let outInterface: String
    public let reading: Reading

    public init(ruleset: Ruleset, universe: Universe = .ipv4, inInterface: String, outInterface: String, reading: Reading) {
        self.ruleset = ruleset
        self.universe = universe
        self.inInterface = inInterface
        self.outInterface = outInterface
        self.reading = reading
    }

    public struct Outcome: Sendable {
        public var accepted: [(origin: Origin, packets: PacketSet)] = []
        /// Packets that left the chain without a verdict (RETURN or the end of a user chain).
        public var returned = PacketSet.empty

        public var acceptedPackets: PacketSet {
            PacketSet(accepted.flatMap(\.packets.cubes))
        }
    }

    /// Evaluates a built-in chain: what it does not decide, its policy does.
    public func evaluate(chain name: String, packets: PacketSet) throws(RulesetError) -> Outcome {
        guard let chain = ruleset.chains[name] else {
            throw RulesetError(location: SourceLocation(file: ruleset.file, line: 1), message: "no chain \(name) in this ruleset")
        }
        var outcome = try run(chain, packets: packets, depth: 0)
        if chain.policy == .accept, !outcome.returned.isEmpty {
            outcome.accepted.append((.policy(chain: name, location: chain.location), outcome.returned))
        }
        outcome.returned = .empty
        return outcome
    }

    /// For tests that walk single packets through the same match semantics.
    public func cubeForTesting(_ match: Match) -> Cube? {
        cube(of: match)
    }

    /// The packets a rule's match covers, as one cube; nil when it can match none here.
    func cube(of match: Match) -> Cube? {
        if let input = match.inInterface, !input.matches(inInterface) { return nil }
        if let output = match.outInterface, !output.matches(outInterface) { return nil }
        // A rule that only sees established connections never sees a new flow's first packet.
        guard match.matchesNewFlows else { return nil }
        var fields = universe.bounds.map { IntervalSet($0) }
        let conditions: [(Field, FieldMatch?)] = [(.source, match.source), (.destination, match.destination), (.proto, match.proto),
                                                  (.destinationPort, match.destinationPort), (.sourcePort, match.sourcePort)]
        for (field, condition) in conditions {
            guard let condition else { continue }
            let set = IntervalSet(condition.ranges).intersection(IntervalSet(universe[field]))
            fields[field.rawValue] = condition.negated ? IntervalSet(universe[field]).subtracting(set) : set
        }
        let cube = Cube(fields)
        return cube.isEmpty ? nil : cube
    }

    private func run(_ chain: Chain, packets: PacketSet, depth: Int) throws(RulesetError) -> Outcome {
        guard depth < 64 else { throw RulesetError(location: chain.location, message: "chains call each other more than 64 deep (a loop?)") }
        var outcome = Outcome()
        var remaining = packets
        for rule in chain.rules {
            if remaining.isEmpty { break }
            guard let cube = cube(of: rule.match) else { continue }
            let unreadable = !rule.match.unsupported.isEmpty
            var action = rule.action
            if case .unknown = action { action = reading == .permissive ? .accept : .drop }
            if unreadable {
                // Only the reading's safe side counts: permissive never lets an unread rule deny,
                // restrictive never lets it accept.
                switch (reading, action) {
                case (.permissive, .drop), (.restrictive, .accept): continue
                default: break
                }
            }
            let matched = remaining.intersection(cube)
            if matched.isEmpty { continue }
            switch action {
            case .continue, .unknown:
                continue
            case .accept:
                outcome.accepted.append((.rule(rule), matched))
                remaining = remaining.subtracting(cube)
            case .drop:
                remaining = remaining.subtracting(cube)
            case .return:
                outcome.returned = outcome.returned.disjointUnion(matched)
                remaining = remaining.subtracting(cube)
            case .jump(let target), .goto(let target):
                guard let called = ruleset.chains[target] else {
                    throw RulesetError(location: rule.location, message: "jump to chain \(target), which is not declared")
                }
                let inner = try run(called, packets: matched, depth: depth + 1)
                outcome.accepted += inner.accepted
                remaining = remaining.subtracting(cube)
                if case .jump = action {
                    // What the called chain did not decide continues after this rule.
                    remaining = remaining.disjointUnion(inner.returned)
                } else {
                    // goto: it returns to this chain's caller.
                    outcome.returned = outcome.returned.disjointUnion(inner.returned)
                }
            }
        }
        outcome.returned = outcome.returned.disjointUnion(remaining)
        return outcome
    }
}
