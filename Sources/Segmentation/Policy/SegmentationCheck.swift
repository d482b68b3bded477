/// Checks a site's firewalls against a policy: every forbid rule exactly (each violation proved by
/// the firewall rule that lets it through and a packet), every required flow, every endpoint
/// rule; then the hygiene of each ruleset.
public struct SegmentationCheck {
    public let site: Site
    public let policy: Policy
    public let book: AddressBook
    public let analyses: [FirewallAnalysis]
    /// At most this many distinct firewall rules are reported per policy rule and firewall.
    public var findingsPerRule = 20

    /// `parallelism`: how many partitions (threads) per firewall; nil for one per core.
    public init(site: Site, policy: Policy, firewalls: [(FirewallReference, Ruleset)], parallelism: Int? = nil) throws(RulesetError) {
        self.site = site
        self.policy = policy
        book = AddressBook(site: site)
        var analyses: [FirewallAnalysis] = []
        for (reference, ruleset) in firewalls {
            analyses.append(try FirewallAnalysis(reference: reference, ruleset: ruleset, book: book, parallelism: parallelism))
        }
        self.analyses = analyses
    }

    public func run() -> CheckResult {
        var findings: [Finding] = []
        for rule in policy.rules {
            switch rule.requirement {
            case .forbid(let from, let to, let exceptions):
                for analysis in analyses { findings += forbidden(rule, from: from, to: to, exceptions: exceptions, analysis) }
                // Say so when no firewall stands between the two sides at all.
                let sources = book.addresses(from), destinations = book.addresses(to)
                let crossing = analyses.contains { analysis in
                    analysis.partitions.contains { $0.routed(from: sources, to: destinations) != DecisionDiagram.empty }
                }
                if !crossing && !sources.isEmpty && !destinations.isEmpty {
                    findings.append(Finding(kind: .notChecked, level: .warning, policyRule: Finding.PolicyReference(rule), location: rule.location,
                                            message: "\(rule.id) not checked: no firewall of the site has interfaces towards both \(from.map(\.description).joined(separator: ", ")) and \(to.map(\.description).joined(separator: ", "))"))
                }
            case .require(let from, let to, let services):
                findings += required(rule, from: from, to: to, services: services)
            case .endpoint(let area, let roles, let attributes):
                findings += endpoint(rule, in: area, roles: roles, attributes: attributes)
            }
        }
        findings += unknownNames()
        for analysis in analyses { findings += Hygiene(analysis: analysis).findings() }
        let summaries = analyses.map { analysis in
            CheckResult.FirewallSummary(name: analysis.reference.name, file: analysis.ruleset.file, format: analysis.reference.format,
                                        rules: analysis.ruleset.chains.values.reduce(0) { $0 + $1.rules.count },
                                        baseChains: analysis.ruleset.baseChains)
        }
        return CheckResult(site: site.name, policyID: policy.id, firewalls: summaries, findings: findings)
    }

    // MARK: Forbidden flows

    func forbidden(_ rule: PolicyRule, from: [AddressSelector], to: [AddressSelector], exceptions: [FlowException], _ analysis: FirewallAnalysis) -> [Finding] {
        // Each partition proves its own violations; a firewall rule found in several is one finding.
        var findings: [Finding] = []
        var seen: Set<[SourceLocation]> = []
        for partition in analysis.partitions {
            for finding in forbidden(rule, from: from, to: to, exceptions: exceptions, partition)
            where seen.insert([finding.location] + finding.related.map(\.location)).inserted {
                if findings.count == findingsPerRule {
                    findings[findings.count - 1].message += " (more firewall rules let forbidden traffic through; fix these first)"
                    return findings
                }
                findings.append(finding)
            }
        }
        return findings
    }

    func forbidden(_ rule: PolicyRule, from: [AddressSelector], to: [AddressSelector], exceptions: [FlowException], _ analysis: FirewallPartition) -> [Finding] {
        let diagram = analysis.space.diagram
        let sources = book.addresses(from), destinations = book.addresses(to)
        var query = analysis.routed(from: sources, to: destinations)
        if query == DecisionDiagram.empty { return [] }
        for exception in exceptions {
            query = diagram.subtracting(query, allowed(exception, sources: sources, destinations: destinations, from: from, to: to, analysis))
        }
        var violating = diagram.intersection(analysis.permissive.accepted, query)
        var findings: [Finding] = []
        while violating != DecisionDiagram.empty {
            guard let witness = analysis.witness(violating), let bits = analysis.space.values(witness) else { break }
            let decisions = analysis.permissive.decisions(for: witness, bits, in: diagram, preferring: .accept)
            if findings.count == findingsPerRule { break }
            findings.append(violation(rule, analysis, witness: witness, origins: decisions.map(\.origin)))
            // The rest of what the same rules let through is the same finding.
            var group = violating
            for decision in decisions { group = diagram.intersection(group, decision.packets(in: diagram)) }
            let before = violating
            violating = diagram.subtracting(violating, group)
            if violating == before { break }
        }
        return findings
    }

    /// The traffic an exception allows, within the rule's sources and destinations.
    func allowed(_ exception: FlowException, sources: IntervalSet, destinations: IntervalSet, from: [AddressSelector], to: [AddressSelector],
                 _ analysis: FirewallPartition) -> DecisionDiagram.Node {
        let diagram = analysis.space.diagram
        let exceptionSources = exception.from.map { book.addresses($0).intersection(sources) } ?? sources
        let exceptionDestinations = exception.to.map { book.addresses($0).intersection(destinations) } ?? destinations
        let flows = analysis.routed(from: exceptionSources, to: exceptionDestinations)
        switch exception.services {
        case .any:
            return flows
        case .listed(let services):
            return diagram.intersection(flows, analysis.packets(of: services))
        case .declared:
            // Each destination host on the services it declares.
            var allowed = DecisionDiagram.empty
            for host in book.hosts(exception.to ?? to) where exceptionDestinations.contains(host.address) {
                let toHost = analysis.space.box([.destination: IntervalSet(ValueRange(host.address, host.address + 1))])
                allowed = diagram.union(allowed, diagram.intersection(diagram.intersection(flows, toHost), analysis.packets(of: host.services)))
            }
            return allowed
        }
    }

    func violation(_ rule: PolicyRule, _ analysis: FirewallPartition, witness: Packet, origins: [Origin]) -> Finding {
        // The rule to blame is the first that is not a policy (a policy ACCEPT when nothing else decided).
        let primary = origins.first { !$0.isPolicy } ?? origins.first ?? .unfiltered(file: analysis.ruleset.file)
        let related = origins.filter { $0 != primary }.map { Finding.RelatedRule(location: $0.location, text: $0.text) }
        return Finding(kind: .forbiddenFlow, level: .violation, policyRule: Finding.PolicyReference(rule), firewall: analysis.reference.name,
                       location: primary.location, ruleText: primary.text, witness: witness, related: related,
                       message: "\(rule.title.en): \(analysis.reference.name) lets \(witness) through")
    }

    // MARK: Required flows

    func required(_ rule: PolicyRule, from: [AddressSelector], to: [AddressSelector], services: ServiceList) -> [Finding] {
        let sources = book.addresses(from)
        // Each required flow: destinations and the services they must be reachable on.
        var flows: [(destinations: IntervalSet, services: [Service]?, label: String)] = []
        let destinations = book.addresses(to)
        switch services {
        case .any: flows.append((destinations, nil, "any service"))
        case .listed(let list): flows += list.map { (destinations, [$0], $0.description) }
        case .declared:
            for host in book.hosts(to) where destinations.contains(host.address) {
                flows += host.services.map { (IntervalSet(ValueRange(host.address, host.address + 1)), [$0], "\(host.name) \($0)") }
            }
        }
        var findings: [Finding] = []
        var checked = false
        // One finding per firewall and blocking rule, listing the flows it blocks.
        var blocked: [(firewall: String, origin: Origin, witness: Packet, labels: [String])] = []
        for flow in flows {
            for analysis in analyses {
                // Required: some partition lets some packet of the flow through.
                var blocking: (FirewallPartition, DecisionDiagram.Node)? = nil
                var passes = false
                for partition in analysis.partitions {
                    let diagram = partition.space.diagram
                    var wanted = partition.routed(from: sources, to: flow.destinations)
                    if let services = flow.services { wanted = diagram.intersection(wanted, partition.packets(of: services)) }
                    if wanted == DecisionDiagram.empty { continue }
                    checked = true
                    if diagram.intersects(partition.restrictive.accepted, wanted) {
                        passes = true
                        break
                    }
                    if blocking == nil { blocking = (partition, wanted) }
                }
                guard !passes, let (partition, wanted) = blocking else { continue }
                guard let witness = partition.witness(wanted), let values = partition.space.values(witness) else { continue }
                let decisions = partition.restrictive.decisions(for: witness, values, in: partition.space.diagram, preferring: .drop)
                // What blocks it: the base chain decision that drops it.
                let blocker = decisions.first { $0.verdict == .drop }?.origin ?? .unfiltered(file: analysis.ruleset.file)
                if let index = blocked.firstIndex(where: { $0.firewall == analysis.reference.name && $0.origin == blocker }) {
                    blocked[index].labels.append(flow.label)
                } else {
                    blocked.append((analysis.reference.name, blocker, witness, [flow.label]))
                }
            }
        }
        for entry in blocked {
            findings.append(Finding(kind: .missingFlow, level: .violation, policyRule: Finding.PolicyReference(rule),
                                    firewall: entry.firewall, location: entry.origin.location, ruleText: entry.origin.text, witness: entry.witness,
                                    message: "\(rule.title.en): \(entry.labels.joined(separator: ", ")) cannot pass \(entry.firewall); \(entry.witness) is dropped"))
        }
        if !checked {
            findings.append(Finding(kind: .notChecked, level: .warning, policyRule: Finding.PolicyReference(rule), location: rule.location,
                                    message: "\(rule.id) not checked: no firewall of the site has interfaces towards both \(from.map(\.description).joined(separator: ", ")) and \(to.map(\.description).joined(separator: ", ")) (or they name no address or service)"))
        }
        return findings
    }

    // MARK: Endpoints

    func endpoint(_ rule: PolicyRule, in area: [AddressSelector], roles: [String]?, attributes: [(key: String, value: String)]) -> [Finding] {
        var findings: [Finding] = []
        for host in book.hosts(area) where roles == nil || roles!.contains(host.role ?? "") {
            for (key, value) in attributes {
                let declared = host.attributes[key]
                guard declared?.lowercased() != value.lowercased() else { continue }
                let problem = declared.map { "\(key) is \($0)" } ?? "\(key) is not declared"
                findings.append(Finding(kind: .endpoint, level: .violation, policyRule: Finding.PolicyReference(rule), location: host.location,
                                        message: "\(rule.title.en): host \(host.name) (\(IPv4.format(host.address))): \(problem), must be \(value)"))
            }
        }
        return findings
    }

    // MARK: Names the site does not know

    func unknownNames() -> [Finding] {
        var rulesByName: [String: [PolicyRule]] = [:]
        var order: [String] = []
        for rule in policy.rules {
            var selectors: [AddressSelector] = []
            switch rule.requirement {
            case .forbid(let from, let to, let exceptions): selectors = from + to + exceptions.flatMap { ($0.from ?? []) + ($0.to ?? []) }
            case .require(let from, let to, _): selectors = from + to
            case .endpoint(let area, _, _): selectors = area
            }
            for name in Set(selectors.compactMap(book.unknownName)).sorted() {
                if rulesByName[name] == nil { order.append(name) }
                rulesByName[name, default: []].append(rule)
            }
        }
        return order.map { name in
            let rules = rulesByName[name]!
            return Finding(kind: .unknownName, level: .warning, location: rules[0].location,
                           message: "the policy names \(name), which the site description does not have: \(rules.map(\.id).joined(separator: ", ")) check less than they say")
        }
    }
}
