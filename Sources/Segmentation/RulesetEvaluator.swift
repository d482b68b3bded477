/// How to read rules csirt does not fully understand, so that they never make a verdict look
/// safer than it is. To find forbidden traffic such a rule may accept but never deny
/// (`permissive`); to prove that required traffic passes, it may deny but never accept
/// (`restrictive`). `known` skips such rules entirely: what the readable rules alone decide, for
/// finding rules that can never match.
public enum Reading: Sendable {
    case permissive
    case restrictive
    case known
}

/// Who decided a set of packets: a rule, a base chain's policy, or nothing at all (no chain on
/// the forward hook).
public enum Origin: Sendable, Equatable {
    case rule(Rule)
    case policy(chain: String, verdict: Verdict, location: SourceLocation)
    case unfiltered(file: String)

    public var location: SourceLocation {
        switch self {
        case .rule(let rule): return rule.location
        case .policy(_, _, let location): return location
        case .unfiltered(let file): return SourceLocation(file: file, line: 1)
        }
    }

    public var text: String {
        switch self {
        case .rule(let rule): return rule.text
        case .policy(let chain, let verdict, _): return "chain \(chain) policy \(verdict.rawValue) (the default for packets no rule decides)"
        case .unfiltered: return "no chain filters forwarded traffic"
        }
    }

    public var isPolicy: Bool {
        if case .rule = self { return false }
        return true
    }
}

/// One decision a base chain took: the packets of `cube` that reached the rule (`reach`) were
/// accepted or dropped by `origin`. The decided set is `reach ∩ cube`, built only when asked for.
public struct Decision: Sendable {
    public var origin: Origin
    public var verdict: Verdict
    public var reach: DecisionDiagram.Node
    public var cube: DecisionDiagram.Node

    public func packets(in diagram: DecisionDiagram) -> DecisionDiagram.Node {
        diagram.intersection(reach, cube)
    }

    func contains(_ packet: Packet, _ bits: [UInt64], in diagram: DecisionDiagram) -> Bool {
        diagram.contains(cube, bits) && diagram.contains(reach, bits)
    }
}

/// What one base chain did with the packets that reached it.
public struct BaseChainResult: Sendable {
    public var chain: String
    /// Everything the chain accepted.
    public var accepted: DecisionDiagram.Node = DecisionDiagram.empty
    /// In the order they were taken.
    public var decisions: [Decision] = []

    /// The decision that applies to a packet of the chain's input.
    /// The decision that applies to a packet of the chain's input; with `preferring`, the first
    /// decision of that verdict (when unreadable rules let a packet go both ways, the permissive
    /// reading can record a drop and an accept for it: blame the accept for letting it through).
    public func decision(for packet: Packet, _ bits: [UInt64], in diagram: DecisionDiagram, preferring verdict: Verdict? = nil) -> Decision? {
        if let verdict, let preferred = decisions.first(where: { $0.verdict == verdict && $0.contains(packet, bits, in: diagram) }) {
            return preferred
        }
        return decisions.first { $0.contains(packet, bits, in: diagram) }
    }
}

/// The packets a firewall forwards, exactly, and who decided each of them.
public struct Evaluation: Sendable {
    /// Packets every base chain accepted: what the firewall lets through.
    public var accepted: DecisionDiagram.Node
    public var chains: [BaseChainResult]
    /// For each chain, which of its rules matched at least one packet that reached them.
    public var hits: [String: [Bool]]
    /// Each rule's match as a packet set, by chain.
    public var cubes: [String: [DecisionDiagram.Node]]
    /// Chains the evaluation entered.
    public var visited: Set<String>

    /// The base-chain decisions behind one packet, first chain first (a dropped packet stops at
    /// the chain that dropped it).
    public func decisions(for packet: Packet, _ bits: [UInt64], in diagram: DecisionDiagram, preferring verdict: Verdict? = nil) -> [Decision] {
        var result: [Decision] = []
        for chain in chains {
            guard let decision = chain.decision(for: packet, bits, in: diagram, preferring: verdict) else { break }
            result.append(decision)
            if decision.verdict == .drop { break }
        }
        return result
    }
}

/// Exact first-match evaluation of a ruleset's forwarding base chains over a set of packets
/// (the first packet of each new flow). Semantics: first match wins; LOG and other non-verdicts
/// pass the packet on; `jump` continues after the rule when the called chain ends without a
/// verdict, `goto` continues in the caller's caller; RETURN and the end of a user chain return;
/// a base chain's policy decides what is left; an accept ends only the current base chain and
/// the next base chain on the hook still runs; a drop is final.
public struct RulesetEvaluator {
    public let ruleset: Ruleset
    public let space: PacketSpace
    public let reading: Reading

    public init(ruleset: Ruleset, space: PacketSpace, reading: Reading) {
        self.ruleset = ruleset
        self.space = space
        self.reading = reading
    }

    public func evaluate(_ packets: DecisionDiagram.Node) throws(RulesetError) -> Evaluation {
        // Every packet meets exactly one fate (accepted, dropped, or left to the policy) unless a
        // rule csirt cannot read may both return and not return; then what a chain accepts is
        // collected rule by rule, else it is what the chain did not drop (fewer sets to build:
        // most rules accept).
        let overlapping = reading == .permissive && ruleset.chains.values.contains { chain in
            chain.rules.contains { rule in
                guard !rule.match.unsupported.isEmpty else { return false }
                switch rule.action {
                case .return, .jump, .goto: return true
                default: return false
                }
            }
        }
        var state = State(collectsAccepted: overlapping)
        var current = packets
        if ruleset.baseChains.isEmpty {
            state.chains.append(BaseChainResult(chain: "", accepted: current,
                                                decisions: [Decision(origin: .unfiltered(file: ruleset.file), verdict: .accept, reach: current, cube: DecisionDiagram.all)]))
        }
        for name in ruleset.baseChains {
            guard let chain = ruleset.chains[name] else {
                throw RulesetError(location: SourceLocation(file: ruleset.file, line: 1), message: "no chain \(name) in this ruleset")
            }
            state.chains.append(BaseChainResult(chain: name))
            let left = try run(chain, packets: current, depth: 0, state: &state)
            if left != DecisionDiagram.empty {
                let verdict = chain.policy ?? .accept
                state.decide(Decision(origin: .policy(chain: name, verdict: verdict, location: chain.location), verdict: verdict, reach: left,
                                      cube: DecisionDiagram.all), space.diagram)
            }
            if !overlapping {
                state.chains[state.chains.count - 1].accepted = space.diagram.subtracting(current, state.dropped)
                state.dropped = DecisionDiagram.empty
            }
            // Only what this base chain accepted goes on to the next one.
            current = state.chains[state.chains.count - 1].accepted
        }
        return Evaluation(accepted: current, chains: state.chains, hits: state.hits, cubes: state.cubes, visited: state.visited)
    }

    private struct State {
        let collectsAccepted: Bool
        var chains: [BaseChainResult] = []
        /// What the current base chain dropped (when fates do not overlap).
        var dropped = DecisionDiagram.empty
        var hits: [String: [Bool]] = [:]
        var visited: Set<String> = []
        var cubes: [String: [DecisionDiagram.Node]] = [:]

        mutating func decide(_ decision: Decision, _ diagram: DecisionDiagram) {
            let last = chains.count - 1
            chains[last].decisions.append(decision)
            if decision.verdict == .accept && collectsAccepted {
                chains[last].accepted = diagram.union(chains[last].accepted, intersectionOf: decision.reach, decision.cube)
            } else if decision.verdict == .drop && !collectsAccepted {
                dropped = diagram.union(dropped, intersectionOf: decision.reach, decision.cube)
            }
        }
    }

    /// The packets a rule's match covers (new flows only).
    public func packets(matching match: Match) -> DecisionDiagram.Node {
        guard match.matchesNewFlows else { return DecisionDiagram.empty }
        var conditions: [HeaderField: IntervalSet] = [:]
        if let input = match.inInterface { conditions[.inInterface] = space.interfaceIndices(input) }
        if let output = match.outInterface { conditions[.outInterface] = space.interfaceIndices(output) }
        let fields: [(HeaderField, FieldMatch?)] = [(.source, match.source), (.destination, match.destination), (.proto, match.proto),
                                                    (.destinationPort, match.destinationPort), (.sourcePort, match.sourcePort)]
        for (field, condition) in fields {
            guard let condition else { continue }
            let domain = space.domain(of: field)
            let values = IntervalSet(condition.ranges).intersection(domain)
            conditions[field] = condition.negated ? domain.subtracting(values) : values
        }
        return space.box(conditions)
    }

    /// Runs a chain; returns the packets that leave it without a verdict.
    private func run(_ chain: Chain, packets: DecisionDiagram.Node, depth: Int, state: inout State) throws(RulesetError) -> DecisionDiagram.Node {
        guard depth < 64 else { throw RulesetError(location: chain.location, message: "chains call each other more than 64 deep (a loop?)") }
        let diagram = space.diagram
        state.visited.insert(chain.name)
        if state.cubes[chain.name] == nil {
            state.cubes[chain.name] = chain.rules.map { self.packets(matching: $0.match) }
            state.hits[chain.name] = Array(repeating: false, count: chain.rules.count)
        }
        let cubes = state.cubes[chain.name]!
        var remaining = packets
        var returned = DecisionDiagram.empty
        for (index, rule) in chain.rules.enumerated() {
            if remaining == DecisionDiagram.empty { break }
            let cube = cubes[index]
            if cube == DecisionDiagram.empty { continue }
            var action = rule.action
            var unreadable = !rule.match.unsupported.isEmpty
            if case .unknown = action {
                // A program decides (NFQUEUE): it may accept, it may drop.
                unreadable = true
                action = reading == .restrictive ? .drop : .accept
            }
            if unreadable && reading == .known { continue }
            // For a readable accept or drop, one subtraction both tests and updates: it leaves the
            // set unchanged exactly when the rule matches nothing that reaches it.
            if !unreadable, case .accept = action {
                let left = diagram.subtracting(remaining, cube)
                if left == remaining { continue }
                state.hits[chain.name]![index] = true
                state.decide(Decision(origin: .rule(rule), verdict: .accept, reach: remaining, cube: cube), diagram)
                remaining = left
                continue
            }
            if !unreadable, case .drop = action {
                let left = diagram.subtracting(remaining, cube)
                if left == remaining { continue }
                state.hits[chain.name]![index] = true
                state.decide(Decision(origin: .rule(rule), verdict: .drop, reach: remaining, cube: cube), diagram)
                remaining = left
                continue
            }
            guard diagram.intersects(remaining, cube) else { continue }
            state.hits[chain.name]![index] = true
            if unreadable {
                // The rule may match fewer packets than its readable part says (or, for an unknown
                // target, accept or not): read it on the safe side of the question.
                switch (reading, action) {
                case (_, .continue), (.known, _), (.permissive, .drop), (.restrictive, .accept):
                    continue
                case (.permissive, .accept):
                    break
                case (.permissive, .return):
                    // Some packets may return, the others go on: keep both.
                    returned = diagram.union(returned, intersectionOf: remaining, cube)
                    continue
                case (.permissive, .jump(let target)), (.permissive, .goto(let target)):
                    let inner = try run(try called(target, by: rule), packets: diagram.intersection(remaining, cube), depth: depth + 1, state: &state)
                    if case .goto = action { returned = diagram.union(returned, inner) }
                    continue
                case (.restrictive, _):
                    // Whatever it does might deny.
                    state.decide(Decision(origin: .rule(rule), verdict: .drop, reach: remaining, cube: cube), diagram)
                    remaining = diagram.subtracting(remaining, cube)
                    continue
                default:
                    break
                }
            }
            switch action {
            case .continue, .unknown:
                continue
            case .accept:
                state.decide(Decision(origin: .rule(rule), verdict: .accept, reach: remaining, cube: cube), diagram)
                remaining = diagram.subtracting(remaining, cube)
            case .drop:
                state.decide(Decision(origin: .rule(rule), verdict: .drop, reach: remaining, cube: cube), diagram)
                remaining = diagram.subtracting(remaining, cube)
            case .return:
                returned = diagram.union(returned, intersectionOf: remaining, cube)
                remaining = diagram.subtracting(remaining, cube)
            case .jump(let target):
                let inner = try run(try called(target, by: rule), packets: diagram.intersection(remaining, cube), depth: depth + 1, state: &state)
                // What the called chain did not decide continues after this rule.
                remaining = diagram.union(diagram.subtracting(remaining, cube), inner)
            case .goto(let target):
                let inner = try run(try called(target, by: rule), packets: diagram.intersection(remaining, cube), depth: depth + 1, state: &state)
                // goto: what the called chain does not decide returns to this chain's caller.
                returned = diagram.union(returned, inner)
                remaining = diagram.subtracting(remaining, cube)
            }
        }
        return diagram.union(returned, remaining)
    }

    private func called(_ target: String, by rule: Rule) throws(RulesetError) -> Chain {
        guard let chain = ruleset.chains[target] else {
            throw RulesetError(location: rule.location, message: "jump to chain \(target), which is not declared")
        }
        return chain
    }
}
