/// A problem that stops a file from being read, at `FILE:LINE`.
public struct RulesetError: Error, Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String

    public init(location: SourceLocation, message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): \(message)" }
}

/// Reads `iptables-save` output: the filter table's chains and rules, each with its line.
/// Matches csirt does not model are kept as `unsupported` (and warned about) rather than dropped,
/// so that the analysis can treat them conservatively; lines that are not iptables-save at all
/// are errors.
public enum IptablesSaveParser {
    static let nonTerminatingTargets: Set<String> = [
        "LOG", "NFLOG", "ULOG", "MARK", "CONNMARK", "TCPMSS", "SET", "AUDIT", "TRACE", "CLASSIFY", "DSCP", "TOS", "TTL",
        "HL", "CT", "NOTRACK", "CHECKSUM", "SECMARK", "CONNSECMARK", "IDLETIMER", "LED", "RATEEST", "TEE",
    ]
    /// The names legacy iptables-save prints (from /etc/protocols).
    static let protocols: [String: UInt64] = [
        "icmp": 1, "igmp": 2, "ipencap": 4, "ipip": 4, "tcp": 6, "egp": 8, "igp": 9, "udp": 17, "ipv6": 41, "rsvp": 46, "gre": 47, "esp": 50,
        "ah": 51, "icmpv6": 58, "ipv6-icmp": 58, "eigrp": 88, "ospf": 89, "ospfigp": 89, "pim": 103, "ipcomp": 108, "vrrp": 112, "l2tp": 115,
        "sctp": 132, "mh": 135, "udplite": 136, "dccp": 33,
    ]

    public static func parse(_ text: String, file: String) throws(RulesetError) -> Ruleset {
        var ruleset = Ruleset(file: file)
        var table: String? = nil
        var tableLine = 0
        var sawFilter = false
        var pendingRules: [(String, Rule)] = []
        // Lines split on bytes: splitting a String walks grapheme clusters, ten times slower.
        for (index, bytes) in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let location = SourceLocation(file: file, line: lineNumber)
            let rawLine = Substring(bytes)
            var line = bytes.last == 0x0D ? rawLine.dropLast() : rawLine
            line = line.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            // `iptables-save -c` puts packet and byte counters first.
            if line.hasPrefix("["), let close = line.firstIndex(of: "]") { line = line[line.index(after: close)...].drop { $0 == " " } }
            if line.hasPrefix("*") {
                guard table == nil else { throw RulesetError(location: location, message: "table \(line.dropFirst()) starts before COMMIT ended table \(table!)") }
                table = String(line.dropFirst())
                tableLine = lineNumber
                if table == "filter" { sawFilter = true }
                continue
            }
            guard let current = table else {
                throw RulesetError(location: location, message: "not iptables-save output (expected a *table line first, e.g. *filter)")
            }
            if line == "COMMIT" {
                table = nil
                continue
            }
            if line.hasPrefix(":") {
                guard current == "filter" else { continue }
                let parts = line.dropFirst().split(separator: " ")
                guard parts.count >= 2 else { throw RulesetError(location: location, message: "chain line needs a name and a policy") }
                let name = String(parts[0])
                let policy: Verdict?
                switch parts[1] {
                case "ACCEPT": policy = .accept
                case "DROP": policy = .drop
                case "-": policy = nil
                default: throw RulesetError(location: location, message: "unknown chain policy \(parts[1]) (ACCEPT, DROP or -)")
                }
                guard ruleset.chains[name] == nil else { throw RulesetError(location: location, message: "chain \(name) is declared twice") }
                ruleset.chains[name] = Chain(name: name, policy: policy, location: location)
                continue
            }
            guard line.hasPrefix("-A ") || line.hasPrefix("--append ") else {
                throw RulesetError(location: location, message: "not an iptables-save line: \(line.prefix(60))")
            }
            let tokens = try tokenize(line, location: location)
            if current == "nat" {
                if tokens.contains("DNAT") || tokens.contains("REDIRECT") {
                    ruleset.warnings.append(SourceWarning(location: location, message: "nat rule rewrites destinations; the filter analysis sees addresses after DNAT, as FORWARD does"))
                }
                continue
            }
            guard current == "filter" else { continue }
            let (chain, rule) = try parseRule(tokens, location: location, text: String(line), warnings: &ruleset.warnings)
            pendingRules.append((chain, rule))
        }
        if let table { throw RulesetError(location: SourceLocation(file: file, line: tableLine), message: "table \(table) has no COMMIT (the file is cut short?)") }
        guard sawFilter else { throw RulesetError(location: SourceLocation(file: file, line: 1), message: "no *filter table in this file") }
        for (chain, var rule) in pendingRules {
            guard ruleset.chains[chain] != nil else {
                throw RulesetError(location: rule.location, message: "rule in chain \(chain), which is not declared (:\(chain) …)")
            }
            // `-j NAME` with no chain NAME is a target extension csirt does not know (SYNPROXY,
            // TARPIT …): it decides outside the ruleset, so it may accept or drop.
            if case .jump(let target) = rule.action, ruleset.chains[target] == nil {
                rule.action = .unknown(target)
                ruleset.warnings.append(SourceWarning(location: rule.location, message: "target \(target) is neither a chain nor a target csirt knows; treated as possibly accepting"))
            }
            ruleset.chains[chain]!.rules.append(rule)
        }
        for chain in ruleset.chains.values {
            for rule in chain.rules {
                switch rule.action {
                case .jump(let target), .goto(let target):
                    guard let called = ruleset.chains[target] else {
                        throw RulesetError(location: rule.location, message: "goto to chain \(target), which is not declared")
                    }
                    guard called.policy == nil else {
                        throw RulesetError(location: rule.location, message: "jump to built-in chain \(target)")
                    }
                default: break
                }
            }
        }
        return ruleset
    }

    /// Splits like the shell iptables-save quotes for: words, and "double quoted" strings with \" and \\.
    static func tokenize(_ line: Substring, location: SourceLocation) throws(RulesetError) -> [String] {
        // Over bytes: the syntax is ASCII; other bytes (UTF-8 in comments) are copied as they are.
        var tokens: [String] = []
        var current: [UInt8] = []
        var inQuotes = false
        var hasToken = false
        var iterator = line.utf8.makeIterator()
        while let c = iterator.next() {
            if inQuotes {
                if c == UInt8(ascii: "\\") {
                    if let next = iterator.next() { current.append(next) }
                } else if c == UInt8(ascii: "\"") {
                    inQuotes = false
                } else {
                    current.append(c)
                }
            } else if c == UInt8(ascii: "\"") {
                inQuotes = true
                hasToken = true
            } else if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") {
                if hasToken {
                    tokens.append(String(decoding: current, as: UTF8.self))
                    current.removeAll(keepingCapacity: true)
                    hasToken = false
                }
            } else {
                current.append(c)
                hasToken = true
            }
        }
        guard !inQuotes else { throw RulesetError(location: location, message: "unterminated quote") }
        if hasToken { tokens.append(String(decoding: current, as: UTF8.self)) }
        return tokens
    }

    static func parseRule(_ tokens: [String], location: SourceLocation, text ruleText: String, warnings: inout [SourceWarning]) throws(RulesetError) -> (String, Rule) {
        func fail(_ message: String) -> RulesetError { RulesetError(location: location, message: message) }
        guard tokens.count >= 2 else { throw fail("-A needs a chain") }
        let chain = tokens[1]
        var match = Match()
        var action: Action = .continue
        var modules: [String] = []
        var i = 2
        var negateNext = false

        func value() throws(RulesetError) -> String {
            i += 1
            guard i < tokens.count else { throw fail("\(tokens[i - 1]) needs a value") }
            // Old style: `-s ! 10.0.0.0/8`.
            if tokens[i] == "!" {
                negateNext = true
                i += 1
                guard i < tokens.count else { throw fail("\(tokens[i - 2]) needs a value") }
            }
            return tokens[i]
        }
        func takeNegation() -> Bool {
            defer { negateNext = false }
            return negateNext
        }
        func addresses(_ text: String, option: String) throws(RulesetError) -> [ValueRange]? {
            var ranges: [ValueRange] = []
            for part in text.split(separator: ",") {
                if part.contains(":") { return nil }
                guard let block = IPv4.block(part) else { throw fail("\(option) \(text): not an IPv4 address or block") }
                ranges.append(block)
            }
            return ranges
        }
        func ports(_ text: String, option: String) throws(RulesetError) -> [ValueRange] {
            var ranges: [ValueRange] = []
            for part in text.split(separator: ",", omittingEmptySubsequences: false) {
                let bounds = part.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                let low = bounds[0].isEmpty ? 0 : UInt64(bounds[0])
                let high = bounds.count == 2 ? (bounds[1].isEmpty ? 65_535 : UInt64(bounds[1])) : low
                guard let low, let high, low <= high, high <= 65_535 else { throw fail("\(option) \(text): not a port or port range (a service name? write numbers)") }
                ranges.append(ValueRange(low, high + 1))
            }
            return ranges
        }

        while i < tokens.count {
            let token = tokens[i]
            switch token {
            case "!":
                negateNext = true
            case "-s", "--source", "--src":
                let text = try value()
                let negated = takeNegation()
                guard let ranges = try addresses(text, option: token) else {
                    warnings.append(SourceWarning(location: location, message: "IPv6 rule not analysed (csirt analyses IPv4)"))
                    return (chain, Rule(match: Match(unsupported: ["ipv6"]), action: .continue, location: location, text: ruleText))
                }
                match.source = FieldMatch(ranges: ranges, negated: negated)
            case "-d", "--destination", "--dst":
                let text = try value()
                let negated = takeNegation()
                guard let ranges = try addresses(text, option: token) else {
                    warnings.append(SourceWarning(location: location, message: "IPv6 rule not analysed (csirt analyses IPv4)"))
                    return (chain, Rule(match: Match(unsupported: ["ipv6"]), action: .continue, location: location, text: ruleText))
                }
                match.destination = FieldMatch(ranges: ranges, negated: negated)
            case "-p", "--protocol":
                let text = try value().lowercased()
                let negated = takeNegation()
                if text == "all" || text == "0" {
                    if negated { match.proto = FieldMatch(ranges: [], negated: false) }
                } else if let number = protocols[text] ?? UInt64(text), number <= 255 {
                    match.proto = FieldMatch(ranges: [ValueRange(number, number + 1)], negated: negated)
                } else {
                    throw fail("-p \(text): unknown protocol")
                }
            case "-i", "--in-interface":
                let name = try value()
                match.inInterface = InterfaceMatch(name: name, negated: takeNegation())
            case "-o", "--out-interface":
                let name = try value()
                match.outInterface = InterfaceMatch(name: name, negated: takeNegation())
            case "-m", "--match":
                modules.append(try value())
            case "--dport", "--destination-port", "--dports", "--destination-ports":
                let text = try value()
                match.destinationPort = FieldMatch(ranges: try ports(text, option: token), negated: takeNegation())
            case "--sport", "--source-port", "--sports", "--source-ports":
                let text = try value()
                match.sourcePort = FieldMatch(ranges: try ports(text, option: token), negated: takeNegation())
            case "--ports":
                _ = try value()
                _ = takeNegation()
                match.unsupported.append("multiport --ports (source or destination port)")
            case "--src-range":
                let text = try value()
                guard let range = IPv4.range(Substring(text)) else { throw fail("--src-range \(text): not an IPv4 range a.b.c.d-e.f.g.h") }
                match.source = FieldMatch(ranges: [range], negated: takeNegation())
            case "--dst-range":
                let text = try value()
                guard let range = IPv4.range(Substring(text)) else { throw fail("--dst-range \(text): not an IPv4 range a.b.c.d-e.f.g.h") }
                match.destination = FieldMatch(ranges: [range], negated: takeNegation())
            case "--ctstate", "--state":
                let text = try value()
                let states = Set(text.uppercased().split(separator: ",").map(String.init))
                let negated = takeNegation()
                // NEW is the first packet of a new flow. UNTRACKED (after NOTRACK) and the virtual
                // DNAT/SNAT states may also be a first packet: with them and without a plain NEW
                // the rule may or may not match, so it is read conservatively.
                let includesNew = states.contains("NEW")
                if !states.isDisjoint(with: ["UNTRACKED", "DNAT", "SNAT"]) && !(includesNew && !negated) {
                    match.unsupported.append("conntrack \(negated ? "! " : "")--ctstate \(text)")
                } else if includesNew == negated {
                    match.matchesNewFlows = false
                }
            case "--comment":
                _ = try value()
            case "--syn":
                // A new TCP flow starts with a SYN: `! --syn` never sees one.
                if takeNegation() { match.matchesNewFlows = false }
            case "--tcp-flags":
                let mask = try value()
                let negated = takeNegation()
                i += 1
                guard i < tokens.count else { throw fail("--tcp-flags needs a mask and the flags that must be set") }
                let set = tokens[i]
                let synOnly = Set(mask.uppercased().split(separator: ",")).isSuperset(of: ["SYN", "ACK", "RST"]) && set.uppercased() == "SYN"
                if synOnly {
                    // iptables-save's spelling of --syn.
                    if negated { match.matchesNewFlows = false }
                } else {
                    match.unsupported.append("tcp --tcp-flags \(mask) \(set)")
                }
            case "-j", "--jump":
                let target = try value()
                switch target {
                case "ACCEPT": action = .accept
                case "DROP", "REJECT": action = .drop
                case "RETURN": action = .return
                default:
                    if nonTerminatingTargets.contains(target) {
                        action = .continue
                    } else if target.uppercased() == target && ["QUEUE", "NFQUEUE", "DNAT", "SNAT", "MASQUERADE", "REDIRECT"].contains(target) {
                        action = .unknown(target)
                        warnings.append(SourceWarning(location: location, message: "target \(target) decides outside the ruleset; treated as possibly accepting"))
                    } else {
                        action = .jump(target)
                    }
                }
                // Target options (--reject-with, --log-prefix, --add-set NAME src …) follow; skip them.
                while i + 1 < tokens.count, tokens[i + 1].hasPrefix("--") {
                    i += 1
                    while i + 1 < tokens.count, !tokens[i + 1].hasPrefix("-") { i += 1 }
                }
            case "-g", "--goto":
                action = .goto(try value())
            case "-f", "--fragment":
                // `! -f`: not a second or later fragment, which a flow's first packet never is.
                if !takeNegation() { match.unsupported.append("fragment") }
            case "-4", "-6":
                break
            default:
                if token.hasPrefix("--") {
                    // A module option csirt does not model (e.g. --limit, --match-set, --icmp-type).
                    let module = modules.last ?? "?"
                    match.unsupported.append("\(module) \(token)")
                    // Its values (some options take two, e.g. --match-set NAME src): up to the next option.
                    if i + 1 < tokens.count, tokens[i + 1] == "!" { i += 1 }
                    while i + 1 < tokens.count, !tokens[i + 1].hasPrefix("-"), tokens[i + 1] != "!" { i += 1 }
                    negateNext = false
                } else {
                    throw fail("unexpected \"\(token)\"")
                }
            }
            i += 1
        }
        if !match.unsupported.isEmpty {
            warnings.append(SourceWarning(location: location, message: "match not understood (\(match.unsupported.joined(separator: ", "))); treated conservatively"))
        }
        return (chain, Rule(match: match, action: action, location: location, text: ruleText))
    }
}
