import Segmentation
import XCTest

/// The exact engine against brute force: every packet of a small universe walked through the
/// chains one at a time, on thousands of random rulesets — with user chains, jump/goto/RETURN,
/// negation, interfaces, conntrack, several base chains (nftables) and rules csirt cannot read.
final class ExactEvaluationTests: XCTestCase {
    // 4 addresses each way, 3 protocols, 4 destination and 3 source ports, 2×2 interfaces.
    static let bounds: [UInt64] = [4, 4, 3, 4, 3]
    static let interfaces = ["eth0", "eth1"]

    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    func randomField(_ bound: UInt64, _ random: inout Random) -> FieldMatch? {
        guard Int.random(in: 0..<3, using: &random) > 0 else { return nil }
        let count = Int.random(in: 0...2, using: &random)
        let ranges = (0..<count).map { _ -> ValueRange in
            let low = UInt64.random(in: 0..<bound, using: &random)
            return ValueRange(low, UInt64.random(in: (low + 1)...bound, using: &random))
        }
        return FieldMatch(ranges: ranges, negated: Bool.random(using: &random))
    }

    func randomInterface(_ random: inout Random) -> InterfaceMatch? {
        guard Int.random(in: 0..<4, using: &random) == 0 else { return nil }
        return InterfaceMatch(name: ["eth0", "eth1", "eth+", "wlan0"].randomElement(using: &random)!, negated: Bool.random(using: &random))
    }

    func randomRuleset(_ random: inout Random, unreadable: Bool) -> Ruleset {
        let location = SourceLocation(file: "r", line: 0)
        var chains: [String: Chain] = [:]
        let bases = Bool.random(using: &random) ? ["FORWARD"] : ["FORWARD", "F2"]
        let names = bases + ["A", "B"]
        for (index, name) in names.enumerated() {
            var rules: [Rule] = []
            for n in 0..<Int.random(in: 0...6, using: &random) {
                var match = Match(source: randomField(4, &random), destination: randomField(4, &random), proto: randomField(3, &random),
                                  destinationPort: randomField(4, &random), sourcePort: randomField(3, &random),
                                  inInterface: randomInterface(&random), outInterface: randomInterface(&random),
                                  matchesNewFlows: Int.random(in: 0..<8, using: &random) != 0)
                var actions: [Action] = [.accept, .drop, .continue, .return]
                // Only later user chains are called, so there are no loops.
                for target in names[max(index + 1, bases.count)...] { actions += [.jump(target), .goto(target)] }
                var action = actions.randomElement(using: &random)!
                if unreadable && Int.random(in: 0..<5, using: &random) == 0 {
                    if Bool.random(using: &random) { match.unsupported = ["limit --limit"] } else { action = .unknown("NFQUEUE") }
                }
                rules.append(Rule(match: match, action: action, location: SourceLocation(file: "r", line: index * 10 + n), text: "\(name)#\(n)"))
            }
            let policy: Verdict? = bases.contains(name) ? (Bool.random(using: &random) ? .accept : .drop) : nil
            chains[name] = Chain(name: name, policy: policy, rules: rules, location: location)
        }
        return Ruleset(file: "r", chains: chains, baseChains: bases)
    }

    /// Whether a rule's readable conditions cover a packet: written apart from the engine.
    func covers(_ match: Match, _ packet: Packet) -> Bool {
        func field(_ condition: FieldMatch?, _ value: UInt64) -> Bool {
            guard let condition else { return true }
            return condition.ranges.contains { $0.lower <= value && value < $0.upper } != condition.negated
        }
        return match.matchesNewFlows
            && (match.inInterface?.matches(packet.inInterface) ?? true) && (match.outInterface?.matches(packet.outInterface) ?? true)
            && field(match.source, packet.source) && field(match.destination, packet.destination) && field(match.proto, packet.proto)
            && field(match.destinationPort, packet.destinationPort) && field(match.sourcePort, packet.sourcePort)
    }

    /// One packet through the chains, as the kernel does it. For an unreadable rule, `actual`
    /// decides what it really does with this packet: (does it match, does an unknown target accept).
    func bruteForce(_ ruleset: Ruleset, _ packet: Packet, actual: (Rule) -> (matches: Bool, accepts: Bool)) -> Bool {
        enum Fate { case accept, drop, fallThrough }
        func run(_ name: String) -> Fate {
            for rule in ruleset.chains[name]!.rules {
                guard covers(rule.match, packet) else { continue }
                let truth = actual(rule)
                if !rule.match.unsupported.isEmpty && !truth.matches { continue }
                switch rule.action {
                case .accept: return .accept
                case .drop: return .drop
                case .return: return .fallThrough
                case .continue: continue
                case .unknown: return truth.accepts ? .accept : .drop
                case .jump(let target):
                    let fate = run(target)
                    if fate != .fallThrough { return fate }
                case .goto(let target):
                    return run(target)
                }
            }
            return .fallThrough
        }
        for base in ruleset.baseChains {
            let fate = run(base)
            if fate == .drop || (fate == .fallThrough && ruleset.chains[base]!.policy == .drop) { return false }
        }
        return true
    }

    static let packets: [Packet] = {
        var packets: [Packet] = []
        for i in interfaces { for o in interfaces { for s in 0..<bounds[0] { for d in 0..<bounds[1] { for p in 0..<bounds[2] {
            for dp in 0..<bounds[3] { for sp in 0..<bounds[4] {
                packets.append(Packet(inInterface: i, outInterface: o, source: s, destination: d, proto: p, destinationPort: dp, sourcePort: sp))
            } } } } } } }
        return packets
    }()

    /// The packets' bits, computed once (the layout depends only on the interfaces).
    static let packetBits: [[UInt64]] = {
        let space = PacketSpace(interfaces: interfaces)
        return packets.map { space.values($0)! }
    }()

    func universe(_ space: PacketSpace) -> DecisionDiagram.Node {
        let b = Self.bounds
        return space.diagram.intersection(space.everything, space.box([
            .source: IntervalSet(ValueRange(0, b[0])), .destination: IntervalSet(ValueRange(0, b[1])), .proto: IntervalSet(ValueRange(0, b[2])),
            .destinationPort: IntervalSet(ValueRange(0, b[3])), .sourcePort: IntervalSet(ValueRange(0, b[4])),
        ]))
    }

    func testExactEngineAgreesWithBruteForce() throws {
        var random = Random(state: 20_261_123)
        var nonTrivial = 0
        for round in 0..<2_000 {
            let ruleset = randomRuleset(&random, unreadable: false)
            let space = PacketSpace(interfaces: Self.interfaces)
            let evaluation = try RulesetEvaluator(ruleset: ruleset, space: space, reading: .permissive).evaluate(universe(space))
            var count = 0
            for (packet, bits) in zip(Self.packets, Self.packetBits) {
                let expected = bruteForce(ruleset, packet) { _ in (true, true) }
                let got = space.diagram.contains(evaluation.accepted, bits)
                if got != expected {
                    return XCTFail("round \(round), packet \(packet): engine says \(got), brute force \(expected)")
                }
                if expected { count += 1 }
                // Each base chain attributes an accepted packet to exactly one origin.
                if expected && packet.source == 1 {
                    for chain in evaluation.chains {
                        XCTAssertEqual(chain.decisions.filter { $0.verdict == .accept && space.diagram.contains($0.packets(in: space.diagram), bits) }.count, 1, "round \(round)")
                    }
                }
            }
            if count > 0 && count < Self.packets.count { nonTrivial += 1 }
        }
        XCTAssertGreaterThan(nonTrivial, 250, "the random rulesets exercise partial acceptance")
    }

    /// With rules csirt cannot read, whatever they really do: the permissive reading accepts at
    /// least everything the firewall accepts, the restrictive reading at most.
    func testUnreadableRulesAreReadOnTheSafeSide() throws {
        var random = Random(state: 4_242)
        for round in 0..<1_000 {
            let ruleset = randomRuleset(&random, unreadable: true)
            let space = PacketSpace(interfaces: Self.interfaces)
            let permissive = try RulesetEvaluator(ruleset: ruleset, space: space, reading: .permissive).evaluate(universe(space)).accepted
            let restrictive = try RulesetEvaluator(ruleset: ruleset, space: space, reading: .restrictive).evaluate(universe(space)).accepted
            let salt = UInt64.random(in: 0...UInt64.max, using: &random)
            for (packet, bits) in zip(Self.packets, Self.packetBits) {
                // What the unreadable rules really do differs from packet to packet.
                let truth = bruteForce(ruleset, packet) { rule in
                    let h = (UInt64(rule.location.line) &* 31 &+ packet.source &* 7 &+ packet.destinationPort &* 3 &+ packet.proto) ^ salt
                    return (h & 1 == 0, h & 2 == 0)
                }
                if truth && !space.diagram.contains(permissive, bits) { return XCTFail("round \(round): permissive misses \(packet)") }
                if !truth && space.diagram.contains(restrictive, bits) { return XCTFail("round \(round): restrictive accepts \(packet)") }
            }
        }
    }
}
