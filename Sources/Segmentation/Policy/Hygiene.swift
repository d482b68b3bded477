/// Warnings about a ruleset itself: lines csirt could only partly read, interfaces the site
/// description does not map, rules that can never match, and rules that accept anything.
struct Hygiene {
    let analysis: FirewallAnalysis

    func findings() -> [Finding] {
        var findings: [Finding] = []
        let name = analysis.reference.name
        for warning in analysis.ruleset.warnings {
            findings.append(Finding(kind: .unreadRule, level: .warning, firewall: name, location: warning.location, message: warning.message))
        }
        findings += unknownInterfaces()
        var searchBudget = 200_000
        for chainName in analysis.ruleset.chains.keys.sorted() {
            // A rule matched if it matched in any partition; its match is the same set in each.
            let visiting = analysis.partitions.filter { $0.known.visited.contains(chainName) }
            guard let first = visiting.first else { continue }
            let chain = analysis.ruleset.chains[chainName]!
            var hits = Array(repeating: false, count: chain.rules.count)
            for partition in visiting {
                for (index, hit) in (partition.known.hits[chainName] ?? []).enumerated() where hit { hits[index] = true }
            }
            let diagram = first.space.diagram
            let cubes = first.known.cubes[chainName] ?? []
            for (index, rule) in chain.rules.enumerated() {
                let cube = cubes[index]
                if Self.isAnyToAny(rule) && hits[index] {
                    let scope = [rule.match.inInterface.map { "in \($0.negated ? "!" : "")\($0.name)" },
                                 rule.match.outInterface.map { "out \($0.negated ? "!" : "")\($0.name)" }].compactMap { $0 }
                    findings.append(Finding(kind: .anyToAny, level: .warning, firewall: name, location: rule.location, ruleText: rule.text,
                                            message: "accepts every new flow\(scope.isEmpty ? "" : " (\(scope.joined(separator: ", ")))"), whatever its addresses, protocol and ports"))
                }
                // Rules csirt reads only in part, rules for replies only, and rules on interfaces
                // the site does not have are reported otherwise.
                guard !hits[index], cube != DecisionDiagram.empty, rule.match.unsupported.isEmpty else { continue }
                if case .unknown = rule.action { continue }
                // Name the earlier rule that covers it, when one does; the search is bounded so
                // that a ruleset with thousands of dead rules stays linear.
                var shadow: Int? = nil
                var scanned = 0
                for earlier in 0..<index {
                    guard scanned < 256, searchBudget > 0 else { break }
                    let candidate = chain.rules[earlier]
                    guard Self.decides(candidate.action), candidate.match.unsupported.isEmpty else { continue }
                    scanned += 1
                    searchBudget -= 1
                    if diagram.intersects(cube, cubes[earlier]) && diagram.isSubset(cube, of: cubes[earlier]) {
                        shadow = earlier
                        break
                    }
                }
                let reason = shadow.map { "line \(chain.rules[$0].location.line) (\(chain.rules[$0].text)) matches everything it would" }
                    ?? "earlier rules together decide every packet it would match"
                findings.append(Finding(kind: .shadowedRule, level: .warning, firewall: name, location: rule.location, ruleText: rule.text,
                                        message: "can never match a new flow: \(reason)"))
            }
        }
        return findings
    }

    static func decides(_ action: Action) -> Bool {
        switch action {
        case .accept, .drop, .return, .goto: return true
        case .jump, .continue, .unknown: return false
        }
    }

    static func isAnyToAny(_ rule: Rule) -> Bool {
        guard case .accept = rule.action, rule.match.matchesNewFlows, rule.match.unsupported.isEmpty else { return false }
        let match = rule.match
        return match.source == nil && match.destination == nil && match.proto == nil && match.destinationPort == nil && match.sourcePort == nil
    }

    /// Interfaces that rules name but the site description does not map: traffic on them is not analysed.
    func unknownInterfaces() -> [Finding] {
        var seen: Set<String> = []
        var findings: [Finding] = []
        // Only chains forwarded traffic passes through (INPUT's `-i lo` is no concern here).
        let visited = analysis.visitedChains
        for chainName in analysis.ruleset.chains.keys.sorted() where visited.contains(chainName) {
            for rule in analysis.ruleset.chains[chainName]!.rules {
                for match in [rule.match.inInterface, rule.match.outInterface].compactMap({ $0 }) where !match.negated {
                    let known = analysis.reference.interfaces.keys.contains { InterfaceMatch(name: match.name).matches($0) }
                    guard !known, seen.insert(match.name).inserted else { continue }
                    findings.append(Finding(kind: .unknownInterface, level: .warning, firewall: analysis.reference.name, location: rule.location,
                                            ruleText: rule.text,
                                            message: "interface \(match.name) is not in the site description's interfaces for \(analysis.reference.name); traffic on it is not analysed"))
                }
            }
        }
        return findings.sorted { ($0.location.file, $0.location.line) < ($1.location.file, $1.location.line) }
    }
}
