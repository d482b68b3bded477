import Segmentation
import XCTest

/// The exact engine against brute force: every packet of a small universe walked through the
/// chains one at a time, on thousands of random rulesets.
final class ExactEvaluationTests: XCTestCase {
    // 5 addresses each way, 3 protocols, 4 ports each way: 5·5·3·4·4 = 1,200 packets.
    let universe = Universe(source: ValueRange(0, 5), destination: ValueRange(0, 5), proto: ValueRange(0, 3),
                            destinationPort: ValueRange(0, 4), sourcePort: ValueRange(0, 4))

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
        let count = Int.random(in: 1...2, using: &random)
        let ranges = (0..<count).map { _ -> ValueRange in
            let low = UInt64.random(in: 0..<bound, using: &random)
            return ValueRange(low, UInt64.random(in: (low + 1)...bound, using: &random))
        }
        return FieldMatch(ranges: ranges, negated: Bool.random(using: &random))
    }

    func randomRuleset(_ random: inout Random) -> Ruleset {
        let location = SourceLocation(file: "r", line: 0)
        var chains: [String: Chain] = [:]
        let names = ["FORWARD", "A", "B"]
        for (index, name) in names.enumerated() {
            var rules: [Rule] = []
            for n in 0..<Int.random(in: 0...6, using: &random) {
                let match = Match(source: randomField(5, &random), destination: randomField(5, &random), proto: randomField(3, &random),
                                  destinationPort: randomField(4, &random), sourcePort: randomField(4, &random),
                                  inInterface: Int.random(in: 0..<6, using: &random) == 0 ? InterfaceMatch(name: ["eth0", "eth1", "eth+"].randomElement(using: &random)!, negated: Bool.random(using: &random)) : nil,
                                  matchesNewFlows: Int.random(in: 0..<8, using: &random) != 0)
                var actions: [Action] = [.accept, .drop, .continue, .return]
                // Only later chains are called, so there are no loops.
                for target in names[(index + 1)...] { actions += [.jump(target), .goto(target)] }
                rules.append(Rule(match: match, action: actions.randomElement(using: &random)!, location: SourceLocation(file: "r", line: index * 10 + n), text: ""))
            }
            chains[name] = Chain(name: name, policy: name == "FORWARD" ? (Bool.random(using: &random) ? .accept : .drop) : nil, rules: rules, location: location)
        }
        return Ruleset(file: "r", chains: chains)
    }

    /// One packet through the chains, as the kernel does it. `cubes` holds each rule's match.
    func bruteForce(_ ruleset: Ruleset, packet: [UInt64], cubes: [String: [Cube?]]) -> Bool {
        enum Fate { case accept, drop, fallThrough }
        func run(_ name: String) -> Fate {
            for (index, rule) in ruleset.chains[name]!.rules.enumerated() {
                guard let cube = cubes[name]![index], cube.contains(packet) else { continue }
                switch rule.action {
                case .accept: return .accept
                case .drop: return .drop
                case .return: return .fallThrough
                case .continue, .unknown: continue
                case .jump(let target):
                    let fate = run(target)
                    if fate != .fallThrough { return fate }
                case .goto(let target):
                    return run(target)
                }
            }
            return .fallThrough
        }
        let fate = run("FORWARD")
        return fate == .accept || (fate == .fallThrough && ruleset.chains["FORWARD"]!.policy == .accept)
    }

    func testExactEngineAgreesWithBruteForce() throws {
        var random = Random(state: 20_261_123)
        var packets: [[UInt64]] = []
        for s in 0..<5 as Range<UInt64> { for d in 0..<5 as Range<UInt64> { for p in 0..<3 as Range<UInt64> {
            for dp in 0..<4 as Range<UInt64> { for sp in 0..<4 as Range<UInt64> { packets.append([s, d, p, dp, sp]) } } } } }
        var nonTrivial = 0
        for round in 0..<2_000 {
            let ruleset = randomRuleset(&random)
            let evaluator = ChainEvaluator(ruleset: ruleset, universe: universe, inInterface: "eth0", outInterface: "eth1", reading: .permissive)
            let outcome = try evaluator.evaluate(chain: "FORWARD", packets: PacketSet([Cube(universe: universe)]))
            let accepted = outcome.acceptedPackets
            let cubes = ruleset.chains.mapValues { $0.rules.map { evaluator.cubeForTesting($0.match) } }
            var count = 0
            for packet in packets {
                let expected = bruteForce(ruleset, packet: packet, cubes: cubes)
                XCTAssertEqual(accepted.contains(packet), expected, "round \(round), packet \(packet)")
                if expected { count += 1 }
                if accepted.contains(packet) != expected { return }
            }
            // Every accepted part is attributed to exactly one origin.
            let parts = outcome.accepted.map(\.packets)
            for packet in packets.prefix(100) {
                XCTAssertLessThanOrEqual(parts.filter { $0.contains(packet) }.count, 1)
            }
            if count > 0 && count < packets.count { nonTrivial += 1 }
        }
        XCTAssertGreaterThan(nonTrivial, 500, "the random rulesets exercise partial acceptance")
    }
}
