/// Reads `nft -j list ruleset` (the libnftables JSON schema, `man libnftables-json`): the chains a
/// forwarded IPv4 packet can pass, with every rule's place in the file (line and JSON path).
///
/// Conventions are those of `IptablesSaveParser`: matches csirt does not model are kept in
/// `Match.unsupported` and warned about, never dropped; verdicts decided outside the ruleset (queue)
/// are `.unknown`; non-verdict statements (counter, log, mangle …) leave `.continue`; a file that is
/// not what it claims to be is an error. Specific to nftables:
/// - chains are keyed `"<family> <table> <chain>"`, and jumps resolve in the rule's own table;
/// - `ip` and `inet` tables are read, other families are skipped with one warning per table;
/// - a match only an IPv6 packet can satisfy (`ip6 saddr`, `meta nfproto ipv6`) makes the rule match
///   nothing, because csirt's packets are IPv4;
/// - a positive set of interface names, a concatenated set and a verdict map become one `Rule` per
///   element, in element order (the model has one interface and one value set per field).
public enum NftablesJSONParser {
    public static func parse(_ text: String, file: String) throws(RulesetError) -> Ruleset {
        let document: PositionedJSON
        do throws(JSONSyntaxError) {
            document = try PositionedJSON.parse(text)
        } catch {
            throw RulesetError(location: SourceLocation(file: file, line: error.line), message: "invalid JSON at column \(error.column): \(error.message)")
        }
        var reader = NftablesReader(file: file)
        return try reader.read(Node(json: document, path: .root))
    }
}

// MARK: - Walking the document

/// Where a value sits in the document, rendered only when a location is needed.
private indirect enum JSONPath: CustomStringConvertible {
    case root
    case key(JSONPath, String)
    case index(JSONPath, Int)

    var description: String {
        switch self {
        case .root:
            return "$"
        case .index(let parent, let index):
            return "\(parent)[\(index)]"
        case .key(let parent, let key):
            let plain = key.first.map { $0.isLetter || $0 == "_" } == true && key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
            return plain ? "\(parent).\(key)" : "\(parent)[\"\(key)\"]"
        }
    }
}

/// A JSON value and its path.
private struct Node {
    let json: PositionedJSON
    let path: JSONPath

    subscript(key: String) -> Node? {
        json[key].map { Node(json: $0, path: .key(path, key)) }
    }

    var elements: [Node]? {
        guard let elements = json.elements else { return nil }
        var nodes: [Node] = []
        nodes.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() { nodes.append(Node(json: element, path: .index(path, index))) }
        return nodes
    }

    /// The one member of `{"accept": null}`, `{"payload": {…}}` and every other tagged value nft writes.
    var tagged: (key: String, value: Node)? {
        guard let members = json.members, members.count == 1 else { return nil }
        return (members[0].key, Node(json: members[0].value, path: .key(path, members[0].key)))
    }

    var string: String? { json.string }
}

// MARK: - What a rule's conditions mean in the model

/// One condition on a packet, in the model's terms.
private enum Atom {
    case field(HeaderField, FieldMatch)
    case inInterface(InterfaceMatch)
    case outInterface(InterfaceMatch)
    /// False: the condition never holds for the first packet of a new flow.
    case newFlows(Bool)
    /// No IPv4 packet satisfies the condition.
    case never
    case unsupported(String)
}

/// A condition as a disjunction of conjunctions: `[[]]` holds for every packet.
private typealias Condition = [[Atom]]

/// The left-hand side of a match, as far as csirt understands it.
private indirect enum Selector {
    /// An address, protocol or port field; a `tcp`/`udp`/`sctp` port implies its protocol.
    case field(HeaderField, impliedProtocol: UInt64?)
    /// `iifname`/`oifname`, or `iif`/`oif` (`byIndex`: a number there is an interface index).
    case interface(input: Bool, byIndex: Bool)
    case ctState
    /// `meta nfproto` (`ethertype` false) or `meta protocol` (true): IPv4 or not.
    case family(ethertype: Bool)
    /// Only IPv6 packets have it (`ip6 saddr`, `icmpv6 type`).
    case ipv6Only
    /// Not understood; a header of a known protocol still implies that protocol.
    case other(impliedProtocol: UInt64?)
    case concat([Selector])
}

/// A named set or map, with elements from its declaration and any `element` objects.
private struct NamedSet {
    var isMap: Bool
    /// Filled at run time (`flags timeout`/`dynamic`): the listing is a snapshot.
    var isDynamic: Bool
    var elements: [Node]
}

/// Named sets are referenced by many rules: their elements are read once per field.
private final class NamedSetCache {
    var ranges: [String: [ValueRange]] = [:]
}

private struct BaseChainInfo {
    var type: String
    var hook: String
    var priority: Int
    /// Among chains, for equal priorities.
    var order: Int
    /// Index of the top-level object.
    var item: Int
}

// MARK: - The reader

private struct NftablesReader {
    let file: String
    /// Warnings with the index of the top-level object they concern, to report them in document order.
    var warnings: [(item: Int, warning: SourceWarning)] = []
    var currentItem = 0
    var chains: [String: Chain] = [:]
    var baseChainInfo: [String: BaseChainInfo] = [:]
    /// Named sets and maps by table key (`"inet filter"`), then name.
    var sets: [String: [String: NamedSet]] = [:]
    var warnedTables: Set<String> = []
    let setCache = NamedSetCache()

    static let families: Set<String> = ["ip", "ip6", "inet", "arp", "bridge", "netdev"]
    static let analysedFamilies: Set<String> = ["ip", "inet"]
    /// Listing objects that say nothing about filtering (stateful objects, flowtables, metadata).
    static let ignoredObjects: Set<String> = [
        "metainfo", "flowtable", "counter", "quota", "limit", "ct helper", "ct timeout", "ct expectation", "synproxy", "secmark", "tunnel",
    ]
    static let commands: Set<String> = ["add", "create", "insert", "replace", "delete", "destroy", "list", "reset", "flush", "rename"]
    /// Splitting a rule into more copies than this (interface sets × concatenations × verdict map)
    /// is not worth it: the condition is reported as not understood instead.
    static let maximumCopies = 4096

    init(file: String) {
        self.file = file
    }

    func location(_ node: Node) -> SourceLocation {
        SourceLocation(file: file, line: node.json.line, path: node.path.description)
    }

    func fail(_ node: Node, _ message: String) -> RulesetError {
        RulesetError(location: location(node), message: message)
    }

    mutating func warn(_ node: Node, _ message: String) {
        warnings.append((currentItem, SourceWarning(location: location(node), message: message)))
    }

    mutating func read(_ root: Node) throws(RulesetError) -> Ruleset {
        guard root.json.members != nil, let list = root["nftables"] else {
            throw fail(root, "no \"nftables\" array at the top: not the output of nft -j list ruleset")
        }
        guard let items = list.elements else { throw fail(list, "\"nftables\" must be an array of objects") }

        // Declarations first, so that rules may reference sets and chains wherever they were declared.
        var rules: [(Node, item: Int, family: String, table: String)] = []
        var chainOrder = 0
        for (index, item) in items.enumerated() {
            currentItem = index
            guard let (kind, body) = item.tagged else {
                throw fail(item, "expected an object with one key such as \"table\", \"chain\" or \"rule\"")
            }
            switch kind {
            case "table":
                let family = try self.family(of: body)
                try skipIfNotAnalysed(family, try requiredString(body, "name"), at: body)
            case "chain":
                let (family, table) = try tableOf(body)
                guard try !skipIfNotAnalysed(family, table, at: body) else { continue }
                try declareChain(body, family: family, table: table, order: chainOrder, item: index)
                chainOrder += 1
            case "set", "map":
                let (family, table) = try tableOf(body)
                guard try !skipIfNotAnalysed(family, table, at: body) else { continue }
                try declareSet(body, isMap: kind == "map", tableKey: "\(family) \(table)")
            case "element":
                let (family, table) = try tableOf(body)
                guard try !skipIfNotAnalysed(family, table, at: body) else { continue }
                let name = try requiredString(body, "name")
                guard sets["\(family) \(table)"]?[name] != nil else {
                    throw fail(body, "elements for set \(name), which is not declared in table \(family) \(table)")
                }
                sets["\(family) \(table)"]![name]!.elements += setElements(body["elem"])
            case "rule":
                let (family, table) = try tableOf(body)
                guard try !skipIfNotAnalysed(family, table, at: body) else { continue }
                rules.append((body, index, family, table))
            default:
                if Self.ignoredObjects.contains(kind) { continue }
                if Self.commands.contains(kind) {
                    throw fail(item, "\"\(kind)\" is an nft command; csirt reads the output of nft -j list ruleset")
                }
                warn(item, "object \"\(kind)\" ignored (not part of the filtering csirt analyses)")
            }
        }

        for (body, item, family, table) in rules {
            currentItem = item
            let chainName = try requiredString(body, "chain")
            let key = "\(family) \(table) \(chainName)"
            guard chains[key] != nil else { throw fail(body, "rule in chain \(key), which is not declared") }
            chains[key]!.rules += try readRule(body, family: family, table: table)
        }

        let forward = baseChainInfo.filter { $0.value.type == "filter" && $0.value.hook == "forward" }
        let baseChains = forward.sorted { ($0.value.priority, $0.value.order) < ($1.value.priority, $1.value.order) }.map(\.key)
        if baseChains.isEmpty {
            currentItem = -1
            warn(list, "no chain on the forward hook: nothing filters forwarded traffic")
        }
        warnAboutOtherHooks()
        // Document order, whatever the pass that found them (`nft -j` writes everything on one line).
        let ordered = warnings.enumerated().sorted { ($0.element.item, $0.offset) < ($1.element.item, $1.offset) }.map(\.element.warning)
        return Ruleset(file: file, chains: chains, baseChains: baseChains, warnings: ordered)
    }

    /// Filter chains on prerouting or postrouting see forwarded packets too; only the forward hook is
    /// evaluated, so say so when such a chain can drop.
    mutating func warnAboutOtherHooks() {
        for (key, info) in baseChainInfo.sorted(by: { $0.value.order < $1.value.order }) {
            guard info.type == "filter", ["prerouting", "postrouting", "ingress"].contains(info.hook), let chain = chains[key] else { continue }
            let canDrop = chain.policy == .drop || chain.rules.contains { rule in
                switch rule.action {
                case .accept, .continue, .return: return false
                default: return true
                }
            }
            if canDrop {
                let message = "chain \(key) on the \(info.hook) hook can drop forwarded packets too; csirt evaluates only the forward hook"
                warnings.append((info.item, SourceWarning(location: chain.location, message: message)))
            }
        }
    }

    // MARK: Declarations

    func family(of body: Node) throws(RulesetError) -> String {
        let family = try requiredString(body, "family")
        guard Self.families.contains(family) else {
            throw fail(body["family"]!, "unknown family \"\(family)\" (ip, ip6, inet, arp, bridge or netdev)")
        }
        return family
    }

    func tableOf(_ body: Node) throws(RulesetError) -> (String, String) {
        (try family(of: body), try requiredString(body, "table"))
    }

    /// True (after one warning per table) for families csirt does not analyse.
    @discardableResult
    mutating func skipIfNotAnalysed(_ family: String, _ table: String, at node: Node) throws(RulesetError) -> Bool {
        guard !Self.analysedFamilies.contains(family) else { return false }
        if warnedTables.insert("\(family) \(table)").inserted {
            let reason: String
            switch family {
            case "bridge": reason = "csirt analyses routed IPv4, not bridged traffic"
            case "netdev": reason = "csirt analyses the forward hook, not device ingress or egress"
            default: reason = "csirt analyses IPv4"
            }
            warn(node, "table \(family) \(table) not analysed (\(reason))")
        }
        return true
    }

    func requiredString(_ body: Node, _ key: String) throws(RulesetError) -> String {
        guard let value = body[key] else { throw fail(body, "missing \"\(key)\"") }
        guard let text = value.string else { throw fail(value, "\"\(key)\" must be a string") }
        return text
    }

    mutating func declareChain(_ body: Node, family: String, table: String, order: Int, item: Int) throws(RulesetError) {
        let key = "\(family) \(table) \(try requiredString(body, "name"))"
        guard chains[key] == nil else { throw fail(body, "chain \(key) is declared twice") }
        var policy: Verdict? = nil
        if let hook = body["hook"] {
            guard let hookName = hook.string else { throw fail(hook, "\"hook\" must be a string") }
            guard let type = body["type"]?.string else { throw fail(body, "base chain \(key) has a hook but no \"type\" (filter, nat or route)") }
            guard let prio = body["prio"] else { throw fail(body, "base chain \(key) has a hook but no \"prio\"") }
            baseChainInfo[key] = BaseChainInfo(type: type, hook: hookName, priority: try priority(prio), order: order, item: item)
            // A base chain without a policy accepts (nft's default).
            policy = .accept
            if let value = body["policy"] {
                switch value.string {
                case "accept": policy = .accept
                case "drop": policy = .drop
                default: throw fail(value, "unknown chain policy \(NftText.expression(value.json)) (accept or drop)")
                }
            }
        }
        chains[key] = Chain(name: key, policy: policy, location: location(body))
    }

    /// nft lists priorities as numbers; hand-written JSON may use the standard names.
    func priority(_ node: Node) throws(RulesetError) -> Int {
        if let number = node.json.integer, abs(number) <= Int64(Int32.max) { return Int(number) }
        let names = ["raw": -300, "mangle": -150, "dstnat": -100, "filter": 0, "security": 50, "srcnat": 100]
        if let name = node.string, let value = names[name] { return value }
        throw fail(node, "chain priority must be a whole number (or raw, mangle, dstnat, filter, security, srcnat)")
    }

    mutating func declareSet(_ body: Node, isMap: Bool, tableKey: String) throws(RulesetError) {
        let name = try requiredString(body, "name")
        guard sets[tableKey]?[name] == nil else { throw fail(body, "set or map \(name) is declared twice in table \(tableKey)") }
        var flags: [String] = []
        if let value = body["flags"] {
            if let single = value.string { flags = [single] } else { flags = (value.json.elements ?? []).compactMap(\.string) }
        }
        let dynamic = flags.contains("timeout") || flags.contains("dynamic")
        sets[tableKey, default: [:]][name] = NamedSet(isMap: isMap, isDynamic: dynamic, elements: setElements(body["elem"]))
    }

    /// `SET_ELEMENTS := EXPRESSION | [ EXPRESSION_LIST ]`.
    func setElements(_ node: Node?) -> [Node] {
        guard let node else { return [] }
        return node.elements ?? [node]
    }

    // MARK: Rules

    mutating func readRule(_ body: Node, family: String, table: String) throws(RulesetError) -> [Rule] {
        guard let expr = body["expr"] else { throw fail(body, "rule has no \"expr\" (its list of statements)") }
        guard let statements = expr.elements else { throw fail(expr, "\"expr\" must be an array of statements") }
        let location = self.location(body)
        let tableKey = "\(family) \(table)"
        var alternatives = [Match()]
        var unsupported: [String] = []
        var action: Action? = nil
        var verdictMap: [(Condition, Action)]? = nil
        var rewritesDestination = false

        func note(_ condition: Condition) {
            for conjunction in condition {
                for case .unsupported(let text) in conjunction where !unsupported.contains(text) { unsupported.append(text) }
            }
        }
        func apply(_ condition: Condition, description: String) {
            let count = alternatives.count * condition.count
            let usable = count <= Self.maximumCopies ? condition : [[.unsupported("\(description) (too many combinations)")]]
            note(usable)
            alternatives = Self.conjoin(alternatives, usable)
        }

        for statement in statements {
            guard let (kind, value) = statement.tagged else {
                throw fail(statement, "a statement must be an object with one key, such as {\"accept\": null}")
            }
            // Nothing after a verdict runs (nft refuses such rules; a hand-written file may have them).
            if action != nil || verdictMap != nil { break }
            switch kind {
            case "match":
                let (condition, description) = try matchCondition(value, tableKey: tableKey)
                apply(condition, description: description)
            case "accept", "drop", "reject", "return", "continue", "jump", "goto", "queue":
                action = try verdict(kind, value, family: family, table: table)
                if kind == "queue" {
                    warn(body, "queue decides outside the ruleset; treated as possibly accepting")
                }
            case "vmap":
                let elements = try readVerdictMap(value, family: family, table: table)
                note(elements.map(\.0).flatMap { $0 })
                if alternatives.count > 1 && alternatives.count * elements.count > Self.maximumCopies {
                    // Every element times every alternative is too many rules: keep the map, forget the rest.
                    let text = "\(NftText.statement(statement.json)) with other sets (too many combinations)"
                    note([[.unsupported(text)]])
                    alternatives = [Match(unsupported: [text])]
                }
                verdictMap = elements
            case "counter", "log", "mangle", "notrack", "ct helper", "ct timeout", "ct expectation", "secmark", "set", "dup", "snat", "masquerade", "tproxy":
                // Not a verdict and not a condition: the packet goes on to the next statement.
                break
            case "dnat", "redirect":
                rewritesDestination = true
            default:
                // limit, quota, ct count, meter: packets over the limit do not match, a condition csirt
                // cannot evaluate; any other statement may be a condition too.
                apply([[.unsupported(NftText.statement(statement.json))]], description: kind)
            }
        }

        var text = statements.map { NftText.statement($0.json) }.joined(separator: " ")
        if let comment = body["comment"]?.string { text += " comment \"\(comment)\"" }
        if !unsupported.isEmpty {
            warn(body, "match not understood (\(unsupported.joined(separator: ", "))); treated conservatively")
        }
        if rewritesDestination {
            warn(body, "nat rule rewrites destinations; the filter analysis sees addresses after DNAT, as the forward hook does")
        }
        var rules: [Rule] = []
        if let verdictMap {
            // One rule per element, in element order: the first element that matches decides, as a map lookup does.
            for (condition, elementAction) in verdictMap {
                for match in Self.conjoin(alternatives, condition) {
                    rules.append(Rule(match: match, action: elementAction, location: location, text: text))
                }
            }
        } else {
            for match in alternatives {
                rules.append(Rule(match: match, action: action ?? .continue, location: location, text: text))
            }
        }
        return rules
    }

    func verdict(_ kind: String, _ value: Node, family: String, table: String) throws(RulesetError) -> Action {
        switch kind {
        case "accept": return .accept
        case "drop", "reject": return .drop
        case "return": return .return
        case "continue": return .continue
        case "queue": return .unknown("queue")
        case "jump", "goto":
            guard let target = value["target"] else { throw fail(value, "\(kind) needs a \"target\" chain") }
            guard let name = target.string else { throw fail(target, "\(kind) target must be a chain name") }
            let key = "\(family) \(table) \(name)"
            guard let chain = chains[key] else { throw fail(target, "\(kind) to chain \(key), which is not declared") }
            guard chain.policy == nil else { throw fail(target, "\(kind) to base chain \(key) (nft allows only regular chains)") }
            return kind == "jump" ? .jump(key) : .goto(key)
        default:
            throw fail(value, "\(kind) is not a verdict")
        }
    }

    /// `{"vmap": {"key": …, "data": {"set": [[k, verdict], …]} | "@map"}}` → one condition and verdict per element.
    func readVerdictMap(_ value: Node, family: String, table: String) throws(RulesetError) -> [(Condition, Action)] {
        guard let key = value["key"], let data = value["data"] else { throw fail(value, "vmap needs a \"key\" and \"data\"") }
        let selector = try self.selector(key)
        var pairs: [Node]
        if let reference = data.string, reference.hasPrefix("@") {
            let named = try lookUp(reference, at: data, tableKey: "\(family) \(table)")
            guard named.isMap else { throw fail(data, "\(reference) is a set, not a verdict map") }
            pairs = named.elements
        } else if let (kind, inner) = data.tagged, kind == "set" {
            pairs = setElements(inner)
        } else {
            throw fail(data, "vmap data must be {\"set\": [[key, verdict], …]} or a @map reference")
        }
        var result: [(Condition, Action)] = []
        for pair in pairs {
            guard let parts = pair.elements, parts.count == 2 else { throw fail(pair, "a verdict map element must be a [key, verdict] pair") }
            guard let (kind, verdictValue) = parts[1].tagged else { throw fail(parts[1], "expected a verdict such as {\"accept\": null}") }
            let action = try verdict(kind, verdictValue, family: family, table: table)
            let description = "\(NftText.expression(key.json)) vmap"
            result.append(([try elementAtoms(selector, unwrap(parts[0]), tableKey: "\(family) \(table)", description: description)], action))
        }
        return result
    }

    // MARK: Matches

    /// A match statement as a condition, and a short description of it for `unsupported`.
    func matchCondition(_ value: Node, tableKey: String) throws(RulesetError) -> (Condition, String) {
        guard let left = value["left"], let right = value["right"] else { throw fail(value, "match needs a \"left\" and a \"right\"") }
        guard let op = value["op"]?.string else { throw fail(value, "match needs an \"op\" string (==, !=, in …)") }
        let description = NftText.match(value.json)
        let selector = try self.selector(left)
        switch op {
        case "==", "in", "!=":
            return (try membership(selector, right, negated: op == "!=", tableKey: tableKey, description: description), description)
        case "<", ">", "<=", ">=":
            return (try comparison(selector, op, right, description: description), description)
        default:
            return ([Self.protocolAtoms(selector) + [.unsupported(description)]], description)
        }
    }

    func selector(_ left: Node) throws(RulesetError) -> Selector {
        guard let (kind, value) = left.tagged else { return .other(impliedProtocol: nil) }
        switch kind {
        case "payload":
            guard let proto = value["protocol"]?.string, let field = value["field"]?.string else { return .other(impliedProtocol: nil) }
            switch (proto, field) {
            case ("ip", "saddr"): return .field(.source, impliedProtocol: nil)
            case ("ip", "daddr"): return .field(.destination, impliedProtocol: nil)
            case ("ip", "protocol"): return .field(.proto, impliedProtocol: nil)
            case ("ip6", _), ("icmpv6", _): return .ipv6Only
            case ("th", "dport"): return .field(.destinationPort, impliedProtocol: nil)
            case ("th", "sport"): return .field(.sourcePort, impliedProtocol: nil)
            default:
                let number = Self.protocols[proto]
                if let number, Self.portProtocols.contains(proto) {
                    if field == "dport" { return .field(.destinationPort, impliedProtocol: number) }
                    if field == "sport" { return .field(.sourcePort, impliedProtocol: number) }
                }
                return .other(impliedProtocol: number)
            }
        case "meta":
            switch value["key"]?.string {
            case "l4proto": return .field(.proto, impliedProtocol: nil)
            case "iifname": return .interface(input: true, byIndex: false)
            case "oifname": return .interface(input: false, byIndex: false)
            case "iif": return .interface(input: true, byIndex: true)
            case "oif": return .interface(input: false, byIndex: true)
            case "nfproto": return .family(ethertype: false)
            case "protocol": return .family(ethertype: true)
            default: return .other(impliedProtocol: nil)
            }
        case "ct":
            // `ct original saddr` and the like have a direction; state has none.
            if value["key"]?.string == "state" && value["dir"] == nil { return .ctState }
            return .other(impliedProtocol: nil)
        case "concat":
            guard let parts = value.elements, !parts.isEmpty else { throw fail(value, "concat must be a non-empty array of expressions") }
            var selectors: [Selector] = []
            for part in parts { selectors.append(try selector(part)) }
            return .concat(selectors)
        case "&", "|", "^", "<<", ">>":
            // `tcp flags & (syn | ack) == syn`: not understood, but still a tcp (or IPv6-only) condition.
            guard let first = value.elements?.first else { return .other(impliedProtocol: nil) }
            switch try selector(first) {
            case .ipv6Only: return .ipv6Only
            case .field(_, let implied), .other(let implied): return .other(impliedProtocol: implied)
            default: return .other(impliedProtocol: nil)
            }
        default:
            return .other(impliedProtocol: nil)
        }
    }

    /// `left == right` (or `!=`): right is a value, a prefix, a range, a list, an anonymous set or a named set.
    func membership(_ selector: Selector, _ right: Node, negated: Bool, tableKey: String, description: String) throws(RulesetError) -> Condition {
        switch selector {
        case .ipv6Only:
            return [[.never]]
        case .other:
            return [Self.protocolAtoms(selector) + [.unsupported(description)]]
        default:
            break
        }
        if case .field(let field, _) = selector, let reference = right.string, reference.hasPrefix("@") {
            let named = try lookUp(reference, at: right, tableKey: tableKey)
            guard !named.isMap else { throw fail(right, "\(reference) is a map; a match needs a set") }
            guard !named.isDynamic else {
                return [Self.protocolAtoms(selector) + [.unsupported("\(description) (set \(reference) changes at run time)")]]
            }
            let cacheKey = "\(tableKey) \(reference) \(field.rawValue)"
            var ranges = setCache.ranges[cacheKey]
            if ranges == nil {
                var all: [ValueRange] = []
                for element in named.elements { all.append(try range(unwrap(element), field: field)) }
                ranges = IntervalSet(all).ranges
                setCache.ranges[cacheKey] = ranges
            }
            return [Self.protocolAtoms(selector) + [.field(field, FieldMatch(ranges: ranges!, negated: negated))]]
        }
        let (elements, dynamicSet) = try flatten(right, tableKey: tableKey)
        if let dynamicSet {
            return [Self.protocolAtoms(selector) + [.unsupported("\(description) (set \(dynamicSet) changes at run time)")]]
        }
        switch selector {
        case .field(let field, _):
            var ranges: [ValueRange] = []
            for element in elements { ranges.append(try range(element, field: field)) }
            let match = FieldMatch(ranges: IntervalSet(ranges).ranges, negated: negated)
            return [Self.protocolAtoms(selector) + [.field(field, match)]]
        case .ctState:
            var includesNew = false, includesUntracked = false
            for element in elements {
                if try ctStateIncludesNew(element) { includesNew = true }
                if try ctStateIncludesUntracked(element) { includesUntracked = true }
            }
            // As for iptables: NEW is a new flow's first packet; UNTRACKED may be one (after a
            // notrack), so a set with it but not NEW may or may not match — read conservatively.
            if includesUntracked && !(includesNew && !negated) { return [[.unsupported(description)]] }
            return [[.newFlows(includesNew != negated)]]
        case .family(let ethertype):
            var includesIPv4 = false
            for element in elements where Self.isIPv4(element, ethertype: ethertype) { includesIPv4 = true }
            return includesIPv4 != negated ? [[]] : [[.never]]
        case .interface(let input, _):
            if negated {
                if elements.isEmpty { return [[]] }
                // One InterfaceMatch cannot say "none of these names".
                guard elements.count == 1 else { return [[.unsupported(description)]] }
                let atoms = try elementAtoms(selector, elements[0], tableKey: tableKey, description: description)
                switch atoms.first {
                case .inInterface(var match)?:
                    match.negated = true
                    return [[.inInterface(match)]]
                case .outInterface(var match)?:
                    match.negated = true
                    return [[.outInterface(match)]]
                default:
                    return [atoms]
                }
            }
            var names: [InterfaceMatch] = []
            for element in elements {
                let atoms = try elementAtoms(selector, element, tableKey: tableKey, description: description)
                guard let first = atoms.first else { continue }
                switch first {
                case .inInterface(let match), .outInterface(let match): names.append(match)
                default: return [atoms]
                }
            }
            // Keep only names no other name covers, so that the copies match disjoint interfaces.
            let kept = names.enumerated().filter { index, name in
                !names.enumerated().contains { other, wider in
                    other != index && InterfacePattern.covers(wider, name) && (!InterfacePattern.covers(name, wider) || other < index)
                }
            }.map(\.element)
            if kept.isEmpty { return [[.never]] }
            return kept.map { [input ? .inInterface($0) : .outInterface($0)] }
        case .concat:
            if negated { return [Self.protocolAtoms(selector) + [.unsupported(description)]] }
            if elements.isEmpty { return [[.never]] }
            var condition: Condition = []
            for element in elements { condition.append(try elementAtoms(selector, element, tableKey: tableKey, description: description)) }
            return condition
        case .ipv6Only, .other:
            // Answered before the right-hand side was read.
            return [[.never]]
        }
    }

    /// `left < value` and friends; nft writes them for `tcp dport < 1024`.
    func comparison(_ selector: Selector, _ op: String, _ right: Node, description: String) throws(RulesetError) -> Condition {
        switch selector {
        case .ipv6Only:
            return [[.never]]
        case .field(let field, _):
            let value = try range(right, field: field)
            guard value.upper == value.lower + 1 else { throw fail(right, "\(op) needs a single value") }
            let v = value.lower
            let top = Self.fieldSize(field)
            let result: ValueRange
            switch op {
            case "<": result = ValueRange(0, v)
            case "<=": result = ValueRange(0, v + 1)
            case ">": result = ValueRange(v + 1, top)
            default: result = ValueRange(v, top)
            }
            return [Self.protocolAtoms(selector) + [.field(field, FieldMatch(ranges: IntervalSet(result).ranges))]]
        default:
            return [Self.protocolAtoms(selector) + [.unsupported(description)]]
        }
    }

    /// The conjunction one set or map element stands for, as `left == element`.
    func elementAtoms(_ selector: Selector, _ element: Node, tableKey: String, description: String) throws(RulesetError) -> [Atom] {
        switch selector {
        case .field(let field, _):
            return Self.protocolAtoms(selector) + [.field(field, FieldMatch(ranges: [try range(element, field: field)]))]
        case .interface(let input, let byIndex):
            guard let name = element.string else {
                if byIndex, element.json.number != nil { return [.unsupported("\(description) (interface index)")] }
                throw fail(element, "expected an interface name in quotes")
            }
            let match = InterfacePattern.match(name)
            return [input ? .inInterface(match) : .outInterface(match)]
        case .ctState:
            let untracked = try ctStateIncludesUntracked(element), new = try ctStateIncludesNew(element)
            if untracked && !new { return [.unsupported("\(description) (untracked)")] }
            return [.newFlows(new)]
        case .family(let ethertype):
            return Self.isIPv4(element, ethertype: ethertype) ? [] : [.never]
        case .ipv6Only:
            return [.never]
        case .other:
            return Self.protocolAtoms(selector) + [.unsupported(description)]
        case .concat(let parts):
            guard let (kind, value) = element.tagged, kind == "concat", let values = value.elements else {
                throw fail(element, "expected a {\"concat\": […]} element for a concatenation of \(parts.count)")
            }
            guard values.count == parts.count else {
                throw fail(element, "concatenation element has \(values.count) parts, the key has \(parts.count)")
            }
            var atoms: [Atom] = []
            for (part, value) in zip(parts, values) {
                atoms += try elementAtoms(part, unwrap(value), tableKey: tableKey, description: description)
            }
            return atoms
        }
    }

    /// The elements a right-hand side stands for, and the name of the set when it is filled at run time.
    func flatten(_ right: Node, tableKey: String) throws(RulesetError) -> ([Node], String?) {
        if let reference = right.string, reference.hasPrefix("@") {
            let named = try lookUp(reference, at: right, tableKey: tableKey)
            guard !named.isMap else { throw fail(right, "\(reference) is a map; a match needs a set") }
            return (named.elements.map(unwrap), named.isDynamic ? reference : nil)
        }
        if let elements = right.elements {
            // A plain list: `ct state established,related` is written ["established", "related"].
            return (elements.map(unwrap), nil)
        }
        if let (kind, value) = right.tagged {
            switch kind {
            case "set":
                return (setElements(value).map(unwrap), nil)
            case "|":
                // Bitmask values: `ct state != established | related`.
                guard let operands = value.elements else { throw fail(value, "\"|\" needs an array of operands") }
                var all: [Node] = []
                for operand in operands { all += try flatten(operand, tableKey: tableKey).0 }
                return (all, nil)
            case "elem":
                return ([unwrap(right)], nil)
            default:
                break
            }
        }
        return ([right], nil)
    }

    func lookUp(_ reference: String, at node: Node, tableKey: String) throws(RulesetError) -> NamedSet {
        let name = String(reference.dropFirst())
        guard let named = sets[tableKey]?[name] else { throw fail(node, "set or map \(reference) is not declared in table \(tableKey)") }
        return named
    }

    /// `{"elem": {"val": x, "comment": …}}` → x.
    func unwrap(_ node: Node) -> Node {
        if let (kind, value) = node.tagged, kind == "elem", let inner = value["val"] { return inner }
        return node
    }

    // MARK: Values

    /// One element (value, prefix or inclusive range) as a half-open range of the field's values.
    func range(_ node: Node, field: HeaderField) throws(RulesetError) -> ValueRange {
        if let (kind, value) = node.tagged {
            switch kind {
            case "prefix":
                guard field == .source || field == .destination else { throw fail(node, "a prefix is only for addresses") }
                guard let addrNode = value["addr"], let lenNode = value["len"] else { throw fail(value, "prefix needs \"addr\" and \"len\"") }
                let base = try address(addrNode)
                guard let length = lenNode.json.integer, (0...32).contains(length) else {
                    throw fail(lenNode, "prefix length \(NftText.expression(lenNode.json)) is out of range (0–32)")
                }
                let size: UInt64 = 1 << UInt64(32 - length)
                let start = base & ~(size - 1)
                return ValueRange(start, start + size)
            case "range":
                guard let bounds = value.elements, bounds.count == 2 else { throw fail(value, "range needs [low, high]") }
                let low = try single(bounds[0], field: field), high = try single(bounds[1], field: field)
                guard low <= high else {
                    throw fail(node, "range \(NftText.expression(node.json)) is empty (the low end is above the high end)")
                }
                return ValueRange(low, high + 1)
            default:
                break
            }
        }
        let value = try single(node, field: field)
        return ValueRange(value, value + 1)
    }

    func single(_ node: Node, field: HeaderField) throws(RulesetError) -> UInt64 {
        switch field {
        case .source, .destination: return try address(node)
        case .proto: return try protocolNumber(node)
        case .destinationPort, .sourcePort: return try port(node)
        case .inInterface, .outInterface: throw fail(node, "interfaces are matched by name, not as values")
        }
    }

    func address(_ node: Node) throws(RulesetError) -> UInt64 {
        guard let text = node.string else { throw fail(node, "expected an IPv4 address in quotes, found \(NftText.expression(node.json))") }
        guard let value = IPv4.address(Substring(text)) else { throw fail(node, "\"\(text)\" is not an IPv4 address") }
        return value
    }

    func port(_ node: Node) throws(RulesetError) -> UInt64 {
        if node.json.number != nil {
            guard let whole = node.json.integer, (0...65_535).contains(whole) else { throw fail(node, "port \(NftText.expression(node.json)) is out of range (0–65535)") }
            return UInt64(whole)
        }
        guard let text = node.string else { throw fail(node, "expected a port number, found \(NftText.expression(node.json))") }
        if let whole = UInt64(text) {
            guard whole <= 65_535 else { throw fail(node, "port \(text) is out of range (0–65535)") }
            return whole
        }
        guard let known = Self.services[text] else { throw fail(node, "unknown service name \"\(text)\" (write the port number)") }
        return known
    }

    func protocolNumber(_ node: Node) throws(RulesetError) -> UInt64 {
        if node.json.number != nil {
            guard let whole = node.json.integer, (0...255).contains(whole) else { throw fail(node, "protocol \(NftText.expression(node.json)) is out of range (0–255)") }
            return UInt64(whole)
        }
        guard let text = node.string else { throw fail(node, "expected a protocol name or number, found \(NftText.expression(node.json))") }
        if let whole = UInt64(text) {
            guard whole <= 255 else { throw fail(node, "protocol \(text) is out of range (0–255)") }
            return whole
        }
        guard let known = Self.protocols[text.lowercased()] else { throw fail(node, "unknown protocol name \"\(text)\"") }
        return known
    }

    func ctStateIncludesNew(_ node: Node) throws(RulesetError) -> Bool {
        // Conntrack state bits: invalid 1, established 2, related 4, new 8, untracked 64.
        if let bits = node.json.integer, bits >= 0 { return bits & 8 != 0 }
        return try ctStateName(node) == "new"
    }

    func ctStateIncludesUntracked(_ node: Node) throws(RulesetError) -> Bool {
        if let bits = node.json.integer, bits >= 0 { return bits & 64 != 0 }
        return try ctStateName(node) == "untracked"
    }

    func ctStateName(_ node: Node) throws(RulesetError) -> String {
        guard let name = node.string, ["new", "untracked", "established", "related", "invalid"].contains(name) else {
            throw fail(node, "unknown ct state \(NftText.expression(node.json)) (new, established, related, invalid or untracked)")
        }
        return name
    }

    static func isIPv4(_ node: Node, ethertype: Bool) -> Bool {
        if ethertype { return node.string == "ip" || node.json.integer == 0x0800 }
        return node.string == "ipv4" || node.json.integer == 2
    }

    static func fieldSize(_ field: HeaderField) -> UInt64 {
        switch field {
        case .source, .destination: return 1 << 32
        case .proto: return 256
        case .destinationPort, .sourcePort: return 65_536
        // Interfaces are matched by name (InterfaceMatch), never as header values.
        case .inInterface, .outInterface: return 0
        }
    }

    /// The protocol a `tcp dport` (or `icmp type`) condition implies, as its own condition.
    static func protocolAtoms(_ selector: Selector) -> [Atom] {
        switch selector {
        case .field(_, let implied?), .other(let implied?):
            return [.field(.proto, FieldMatch(ranges: [ValueRange(implied, implied + 1)]))]
        case .concat(let parts):
            return parts.flatMap { protocolAtoms($0) }
        default:
            return []
        }
    }

    static let portProtocols: Set<String> = ["tcp", "udp", "sctp", "dccp", "udplite"]
    /// Names nft prints (from /etc/protocols) for IP protocol numbers.
    static let protocols: [String: UInt64] = [
        "hopopt": 0, "icmp": 1, "igmp": 2, "ggp": 3, "ipencap": 4, "st": 5, "tcp": 6, "egp": 8, "igp": 9, "pup": 12, "udp": 17,
        "hmp": 20, "xns-idp": 22, "rdp": 27, "iso-tp4": 29, "dccp": 33, "xtp": 36, "ddp": 37, "idpr-cmtp": 38, "ipv6": 41,
        "ipv6-route": 43, "ipv6-frag": 44, "idrp": 45, "rsvp": 46, "gre": 47, "esp": 50, "ah": 51, "skip": 57, "ipv6-icmp": 58,
        "icmpv6": 58, "ipv6-nonxt": 59, "ipv6-opts": 60, "rspf": 73, "vmtp": 81, "eigrp": 88, "ospf": 89, "ax.25": 93, "ipip": 94,
        "etherip": 97, "encap": 98, "pim": 103, "ipcomp": 108, "comp": 108, "vrrp": 112, "l2tp": 115, "isis": 124, "sctp": 132,
        "fc": 133, "mobility-header": 135, "udplite": 136, "mpls-in-ip": 137, "manet": 138, "hip": 139, "shim6": 140,
        "wesp": 141, "rohc": 142, "ethernet": 143,
    ]
    /// Service names nft may print for ports (it prints numbers by default); anything else is an error.
    static let services: [String: UInt64] = [
        "ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "bootps": 67, "bootpc": 68, "tftp": 69,
        "http": 80, "www": 80, "kerberos": 88, "pop3": 110, "sunrpc": 111, "auth": 113, "ntp": 123, "epmap": 135,
        "netbios-ns": 137, "netbios-dgm": 138, "netbios-ssn": 139, "imap2": 143, "imap": 143, "snmp": 161, "snmp-trap": 162,
        "bgp": 179, "ldap": 389, "https": 443, "microsoft-ds": 445, "isakmp": 500, "syslog": 514, "submissions": 465,
        "submission": 587, "ldaps": 636, "rsync": 873, "imaps": 993, "pop3s": 995, "openvpn": 1194, "ms-sql-s": 1433,
        "radius": 1812, "radius-acct": 1813, "nfs": 2049, "mysql": 3306, "ms-wbt-server": 3389, "ipsec-nat-t": 4500,
        "sip": 5060, "postgresql": 5432, "http-alt": 8080,
    ]

    // MARK: Combining conditions

    /// Every alternative AND every conjunction of the condition: the rule's copies.
    static func conjoin(_ alternatives: [Match], _ condition: Condition) -> [Match] {
        var result: [Match] = []
        result.reserveCapacity(alternatives.count * condition.count)
        for match in alternatives {
            for conjunction in condition {
                var combined = match
                for atom in conjunction { combined.add(atom) }
                result.append(combined)
            }
        }
        return result
    }
}

// MARK: - Conjunction in the model

private extension Match {
    /// Matches nothing: an empty protocol set (the model has no "never").
    static let nothing = FieldMatch(ranges: [], negated: false)

    mutating func add(_ atom: Atom) {
        switch atom {
        case .field(let field, let condition):
            switch field {
            case .source: source = FieldMatch.and(source, condition)
            case .destination: destination = FieldMatch.and(destination, condition)
            case .proto: proto = FieldMatch.and(proto, condition)
            case .destinationPort: destinationPort = FieldMatch.and(destinationPort, condition)
            case .sourcePort: sourcePort = FieldMatch.and(sourcePort, condition)
            case .inInterface, .outInterface: break
            }
        case .inInterface(let condition):
            inInterface = addInterface(inInterface, condition, name: "iifname")
        case .outInterface(let condition):
            outInterface = addInterface(outInterface, condition, name: "oifname")
        case .newFlows(let matches):
            if !matches { matchesNewFlows = false }
        case .never:
            proto = Match.nothing
        case .unsupported(let text):
            if !unsupported.contains(text) { unsupported.append(text) }
        }
    }

    /// Two conditions on one interface; when one InterfaceMatch cannot say it, the first is kept
    /// (it matches more) and the rule is marked as not understood.
    mutating func addInterface(_ current: InterfaceMatch?, _ new: InterfaceMatch, name: String) -> InterfaceMatch? {
        guard let current else { return new }
        switch InterfacePattern.and(current, new) {
        case .match(let combined):
            return combined
        case .never:
            proto = Match.nothing
            return current
        case .inexpressible:
            let text = "\(name) \(InterfacePattern.text(current)) and \(InterfacePattern.text(new))"
            if !unsupported.contains(text) { unsupported.append(text) }
            return current
        }
    }
}

private extension FieldMatch {
    /// `a AND b` on one field; combined results are kept positive, except that two negations stay one.
    static func and(_ a: FieldMatch?, _ b: FieldMatch) -> FieldMatch {
        let right = IntervalSet(b.ranges)
        guard let a else { return FieldMatch(ranges: right.ranges, negated: b.negated) }
        let left = IntervalSet(a.ranges)
        switch (a.negated, b.negated) {
        case (false, false): return FieldMatch(ranges: left.intersection(right).ranges)
        case (false, true): return FieldMatch(ranges: left.subtracting(right).ranges)
        case (true, false): return FieldMatch(ranges: right.subtracting(left).ranges)
        case (true, true): return FieldMatch(ranges: left.union(right).ranges, negated: true)
        }
    }
}

/// Interface names and `prefix+` wildcards, as sets of names.
private enum InterfacePattern {
    enum Conjunction {
        case match(InterfaceMatch)
        case never
        case inexpressible
    }

    /// nft writes a wildcard as a trailing `*` (`\*` is a literal star); the model uses iptables' `+`.
    static func match(_ name: String) -> InterfaceMatch {
        if name.hasSuffix("\\*") { return InterfaceMatch(name: String(name.dropLast(2)) + "*") }
        if name.hasSuffix("*") { return InterfaceMatch(name: String(name.dropLast()) + "+") }
        return InterfaceMatch(name: name)
    }

    static func text(_ match: InterfaceMatch) -> String {
        (match.negated ? "!= " : "") + "\"" + (match.name.hasSuffix("+") ? String(match.name.dropLast()) + "*" : match.name) + "\""
    }

    /// Every name `narrow` matches, `wide` matches too (polarity ignored).
    static func covers(_ wide: InterfaceMatch, _ narrow: InterfaceMatch) -> Bool {
        switch (wide.name.hasSuffix("+"), narrow.name.hasSuffix("+")) {
        case (true, _): return narrow.name.hasPrefix(String(wide.name.dropLast()))
        case (false, true): return false
        case (false, false): return wide.name == narrow.name
        }
    }

    static func disjoint(_ a: InterfaceMatch, _ b: InterfaceMatch) -> Bool {
        // Two patterns overlap exactly when one covers the other (wildcards are prefixes).
        !covers(a, b) && !covers(b, a)
    }

    static func and(_ a: InterfaceMatch, _ b: InterfaceMatch) -> Conjunction {
        switch (a.negated, b.negated) {
        case (false, false):
            if covers(a, b) { return .match(b) }
            if covers(b, a) { return .match(a) }
            return .never
        case (false, true), (true, false):
            let positive = a.negated ? b : a, negative = a.negated ? a : b
            if covers(negative, positive) { return .never }
            if disjoint(negative, positive) { return .match(positive) }
            return .inexpressible
        case (true, true):
            if covers(a, b) { return .match(a) }
            if covers(b, a) { return .match(b) }
            return .inexpressible
        }
    }
}

// MARK: - Rule text

/// A rule in nft's own syntax, near enough for a finding (`iifname "eth0" tcp dport 443 accept`).
private enum NftText {
    static let bareMetaKeys: Set<String> = ["iifname", "oifname", "iif", "oif", "iiftype", "oiftype", "iifgroup", "oifgroup"]

    static func statement(_ json: PositionedJSON) -> String {
        guard let members = json.members, members.count == 1 else { return expression(json) }
        let (kind, value) = (members[0].key, members[0].value)
        switch kind {
        case "match":
            return match(value)
        case "accept", "drop", "return", "continue", "notrack", "masquerade":
            return kind
        case "reject":
            if let type = value["type"]?.string { return "reject with \(type)" + (value["expr"]?.string.map { " \($0)" } ?? "") }
            return "reject"
        case "jump", "goto":
            return "\(kind) \(value["target"]?.string ?? "?")"
        case "queue":
            return value["num"].map { "queue num \(expression($0))" } ?? "queue"
        case "counter":
            return "counter"
        case "log":
            return value["prefix"]?.string.map { "log prefix \"\($0)\"" } ?? "log"
        case "limit":
            guard let rate = value["rate"] else { return "limit" }
            let unit = value["rate_unit"]?.string.flatMap { $0 == "packets" ? nil : " \($0)" } ?? ""
            return "limit rate \(expression(rate))\(unit)/\(value["per"]?.string ?? "second")"
        case "quota":
            return "quota \(value["val"].map { expression($0) } ?? "")\(value["val_unit"]?.string.map { " \($0)" } ?? "")"
        case "ct count":
            return "ct count \(value["val"].map { expression($0) } ?? "")"
        case "mangle":
            return "\(value["key"].map { expression($0) } ?? "?") set \(value["value"].map { expression($0) } ?? "?")"
        case "vmap":
            let data = value["data"].map { expression($0, quoteStrings: namesInterfaces(value["key"])) } ?? "?"
            return "\(value["key"].map { expression($0) } ?? "?") vmap \(data)"
        case "dnat", "snat", "redirect":
            var text = kind
            if let addr = value["addr"] { text += " to \(expression(addr))" }
            if let port = value["port"] { text += (value["addr"] == nil ? " to " : "") + ":\(expression(port))" }
            return text
        case "xt":
            return "xt \(value["type"]?.string ?? "") \(value["name"]?.string ?? "")"
        case "set":
            return "\(value["op"]?.string ?? "add") \(value["set"]?.string ?? "?") { \(value["elem"].map { expression($0) } ?? "") }"
        default:
            return kind
        }
    }

    static func match(_ json: PositionedJSON) -> String {
        let left = json["left"].map { expression($0) } ?? "?"
        let right = json["right"].map { expression($0, quoteStrings: namesInterfaces(json["left"])) } ?? "?"
        let op = json["op"]?.string ?? "=="
        // nft leaves out `==` except after a binary operation, where it would be ambiguous.
        let isBinary = json["left"]?.members?.first.map { ["&", "|", "^", "<<", ">>"].contains($0.key) } ?? false
        return (op == "==" && !isBinary) || op == "in" ? "\(left) \(right)" : "\(left) \(op) \(right)"
    }

    /// Interface names are quoted, as nft prints them.
    static func namesInterfaces(_ left: PositionedJSON?) -> Bool {
        left?["meta"]?["key"]?.string.map { ["iifname", "oifname", "iif", "oif"].contains($0) } ?? false
    }

    static func expression(_ json: PositionedJSON, quoteStrings: Bool = false) -> String {
        switch json.value {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .number(let number): return json.integer.map { "\($0)" } ?? "\(number)"
        case .string(let text): return quoteStrings && !text.hasPrefix("@") ? "\"\(text)\"" : text
        case .array(let elements): return elements.map { expression($0, quoteStrings: quoteStrings) }.joined(separator: ",")
        case .object(let members):
            guard members.count == 1 else { return "{…}" }
            let (kind, value) = (members[0].key, members[0].value)
            switch kind {
            case "set":
                let items = value.elements ?? [value]
                let texts = items.map { item -> String in
                    if let pair = item.elements, pair.count == 2 {
                        return "\(expression(pair[0], quoteStrings: quoteStrings)) : \(statement(pair[1]))"
                    }
                    return expression(item, quoteStrings: quoteStrings)
                }
                return "{ \(texts.joined(separator: ", ")) }"
            case "prefix":
                return "\(value["addr"].map { expression($0) } ?? "?")/\(value["len"].map { expression($0) } ?? "?")"
            case "range":
                let bounds = value.elements ?? []
                return bounds.map { expression($0, quoteStrings: quoteStrings) }.joined(separator: "-")
            case "concat":
                return (value.elements ?? []).map { expression($0) }.joined(separator: " . ")
            case "elem":
                return value["val"].map { expression($0, quoteStrings: quoteStrings) } ?? "?"
            case "payload":
                if let proto = value["protocol"]?.string, let field = value["field"]?.string { return "\(proto) \(field)" }
                return "@\(value["base"]?.string ?? "?"),\(value["offset"].map { expression($0) } ?? "?"),\(value["len"].map { expression($0) } ?? "?")"
            case "meta":
                let key = value["key"]?.string ?? "?"
                return bareMetaKeys.contains(key) ? key : "meta \(key)"
            case "ct":
                let key = value["key"]?.string ?? "?"
                return value["dir"]?.string.map { "ct \($0) \(key)" } ?? "ct \(key)"
            case "fib":
                let flags = value["flags"].map { flag in (flag.elements ?? [flag]).compactMap(\.string).joined(separator: " . ") } ?? ""
                return "fib \(flags) \(value["result"]?.string ?? "?")"
            case "|":
                // Flag values: nft writes `ct state established,related`.
                return (value.elements ?? []).map { expression($0, quoteStrings: quoteStrings) }.joined(separator: ",")
            case "&", "^", "<<", ">>":
                // A list operand is a bit mask: `(syn | ack)`.
                let operands = (value.elements ?? []).map { operand in
                    operand.elements.map { "(" + $0.map { expression($0) }.joined(separator: " | ") + ")" } ?? expression(operand)
                }
                return operands.joined(separator: " \(kind) ")
            case "exthdr", "tcp option", "sctp chunk":
                return "\(kind == "exthdr" ? "exthdr" : kind) \(value["name"]?.string ?? "?")" + (value["field"]?.string.map { " \($0)" } ?? "")
            case "socket", "rt", "osf":
                return "\(kind) \(value["key"]?.string ?? "?")"
            case "accept", "drop", "return", "continue", "jump", "goto":
                return statement(json)
            default:
                return kind
            }
        }
    }
}
