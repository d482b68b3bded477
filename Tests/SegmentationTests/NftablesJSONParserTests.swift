import Foundation
import Segmentation
import XCTest

final class NftablesJSONParserTests: XCTestCase {
    /// The fixtures are real `nft -j list ruleset` output of the `.nft` files beside them (nftables 1.0.6).
    func fixture(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/nftables/\(name)")
        return try String(contentsOf: url, encoding: .utf8)
    }

    func ip(_ text: String) -> UInt64 { IPv4.address(Substring(text))! }
    func block(_ text: String) -> ValueRange { IPv4.block(Substring(text))! }
    func one(_ value: UInt64) -> ValueRange { ValueRange(value, value + 1) }
    let tcp = FieldMatch(ranges: [ValueRange(6, 7)])
    let nothing = FieldMatch(ranges: [], negated: false)

    /// A one-table document around hand-written rules, pretty-printed so that each rule has its own line.
    func document(_ rules: [String], sets: [String] = [], chains: [String] = []) -> String {
        var items = [#"{"table": {"family": "inet", "name": "t", "handle": 1}}"#]
        items += sets
        items.append(#"{"chain": {"family": "inet", "table": "t", "name": "fwd", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}}"#)
        items += chains
        items += rules.map { #"{"rule": {"family": "inet", "table": "t", "chain": "fwd", "expr": \#($0)}}"# }
        return "{\"nftables\": [\n" + items.joined(separator: ",\n") + "\n]}\n"
    }

    func forwardRules(_ rules: [String], sets: [String] = [], chains: [String] = []) throws -> [Rule] {
        try NftablesJSONParser.parse(document(rules, sets: sets, chains: chains), file: "t.json").chains["inet t fwd"]!.rules
    }

    // MARK: The raw fixture

    func testMunicipalChainsPoliciesAndBaseChainOrder() throws {
        let ruleset = try NftablesJSONParser.parse(try fixture("municipal.json"), file: "fw.json")
        XCTAssertEqual(Set(ruleset.chains.keys), ["inet filter forward", "inet filter admin", "inet filter from_lgwan", "inet filter from_mynumber",
                                                  "inet filter quarantine", "inet filter input", "ip guard forward", "ip nat prerouting"])
        // guard (priority -10) runs before filter (priority 0), although it comes later in the file.
        XCTAssertEqual(ruleset.baseChains, ["ip guard forward", "inet filter forward"])
        XCTAssertEqual(ruleset.chains["inet filter forward"]!.policy, .drop)
        XCTAssertEqual(ruleset.chains["ip guard forward"]!.policy, .accept)
        XCTAssertEqual(ruleset.chains["inet filter input"]!.policy, .drop, "kept, though not on the forward hook")
        XCTAssertNil(ruleset.chains["inet filter admin"]!.policy)
        XCTAssertEqual(ruleset.chains["inet filter admin"]!.name, "inet filter admin")
        XCTAssertEqual(ruleset.chains["inet filter forward"]!.location, SourceLocation(file: "fw.json", line: 1, path: "$.nftables[5].chain"))
        XCTAssertEqual(ruleset.chains["ip guard forward"]!.rules.map(\.match.source), [FieldMatch(ranges: [ValueRange(0xC000_0200, 0xC000_0300)])])

        XCTAssertEqual(ruleset.warnings.map(\.message), [
            "match not understood (limit rate 10/second); treated conservatively",
            "table ip6 filter not analysed (csirt analyses IPv4)",
            "nat rule rewrites destinations; the filter analysis sees addresses after DNAT, as the forward hook does",
        ])
        XCTAssertEqual(ruleset.warnings.map { $0.location.path }, ["$.nftables[18].rule", "$.nftables[31].table", "$.nftables[36].rule"])
    }

    func testMunicipalForwardChainRules() throws {
        let ruleset = try NftablesJSONParser.parse(try fixture("municipal.json"), file: "fw.json")
        let rules = ruleset.chains["inet filter forward"]!.rules
        // Nine rule objects; the two verdict maps become two rules each.
        XCTAssertEqual(rules.count, 11)
        XCTAssertEqual(rules.map { $0.location.path! }, ["$.nftables[11].rule", "$.nftables[12].rule", "$.nftables[13].rule", "$.nftables[14].rule",
                                                         "$.nftables[15].rule", "$.nftables[15].rule", "$.nftables[16].rule", "$.nftables[17].rule",
                                                         "$.nftables[17].rule", "$.nftables[18].rule", "$.nftables[19].rule"])
        XCTAssertEqual(rules[0].match, Match(matchesNewFlows: false), "established,related admits no new flow")
        XCTAssertEqual(rules[0].action, .accept)
        XCTAssertEqual(rules[0].text, "ct state established,related accept")
        XCTAssertEqual(rules[1].match, Match(matchesNewFlows: false), "invalid is never a new flow's first packet")
        XCTAssertEqual(rules[1].action, .drop)

        XCTAssertEqual(rules[2].match, Match(destination: FieldMatch(ranges: [ValueRange(ip("203.0.113.0"), ip("203.0.114.0"))]), proto: tcp,
                                             destinationPort: FieldMatch(ranges: [one(443)]),
                                             inInterface: InterfaceMatch(name: "eth0"), outInterface: InterfaceMatch(name: "eth2")))
        XCTAssertEqual(rules[2].text, #"iifname "eth0" oifname "eth2" ip daddr 203.0.113.0/24 tcp dport 443 accept"#)

        // A named set: two adjacent hosts merge into one range.
        XCTAssertEqual(rules[3].match, Match(source: FieldMatch(ranges: [ValueRange(ip("10.10.0.5"), ip("10.10.0.7"))])))
        XCTAssertEqual(rules[3].action, .jump("inet filter admin"))

        // A named verdict map, in element order.
        XCTAssertEqual(rules[4].match, Match(inInterface: InterfaceMatch(name: "eth1")))
        XCTAssertEqual(rules[4].action, .jump("inet filter from_lgwan"))
        XCTAssertEqual(rules[5].match, Match(inInterface: InterfaceMatch(name: "eth2")))
        XCTAssertEqual(rules[5].action, .jump("inet filter from_mynumber"))
        XCTAssertEqual(rules[4].text, "iifname vmap @zone_in")

        // A negated interval set (prefix and range) and a wildcard interface.
        XCTAssertEqual(rules[6].match, Match(source: FieldMatch(ranges: [block("10.20.0.0/16"), ValueRange(ip("10.21.0.1"), ip("10.21.0.10"))], negated: true),
                                             outInterface: InterfaceMatch(name: "eth1+")))
        XCTAssertEqual(rules[6].action, .drop)

        // An anonymous verdict map: udp implied by `udp dport`.
        let udp = FieldMatch(ranges: [ValueRange(17, 18)])
        XCTAssertEqual(rules[7].match, Match(proto: udp, destinationPort: FieldMatch(ranges: [one(53)])))
        XCTAssertEqual(rules[7].action, .accept)
        XCTAssertEqual(rules[8].match, Match(proto: udp, destinationPort: FieldMatch(ranges: [one(123)])))
        XCTAssertEqual(rules[8].action, .drop)
        XCTAssertEqual(rules[7].text, "udp dport vmap { 53 : accept, 123 : drop }")

        // limit is a condition csirt cannot evaluate; log is not a verdict.
        XCTAssertEqual(rules[9].match, Match(unsupported: ["limit rate 10/second"]))
        XCTAssertEqual(rules[9].action, .continue)
        XCTAssertEqual(rules[10].action, .goto("inet filter quarantine"))

        XCTAssertEqual(ruleset.chains["inet filter admin"]!.rules.map(\.match),
                       [Match(proto: tcp, destinationPort: FieldMatch(ranges: [one(22), one(3389)])), Match()])
        XCTAssertEqual(ruleset.chains["inet filter admin"]!.rules.map(\.action), [.accept, .return])
        XCTAssertEqual(ruleset.chains["inet filter from_mynumber"]!.rules[0].match.destinationPort,
                       FieldMatch(ranges: [one(443), ValueRange(8000, 8081)]))
        XCTAssertEqual(ruleset.chains["inet filter from_lgwan"]!.rules[1].match.destination, FieldMatch(ranges: [block("10.30.0.0/16")]))
        XCTAssertEqual(ruleset.chains["inet filter quarantine"]!.rules.map(\.action), [.drop])
    }

    func testMunicipalRulesetEvaluates() throws {
        // The engine runs on what the parser produced: LGWAN (eth1) reaches the web server, not the rest of 10.30/16.
        let ruleset = try NftablesJSONParser.parse(try fixture("municipal.json"), file: "fw.json")
        let space = PacketSpace(interfaces: ["eth1", "eth2"])
        let accepted = try RulesetEvaluator(ruleset: ruleset, space: space, reading: .permissive).evaluate(space.everything).accepted
        func packet(_ destination: String, _ proto: UInt64, _ port: UInt64) -> Packet {
            Packet(inInterface: "eth1", outInterface: "eth2", source: ip("10.20.3.4"), destination: ip(destination), proto: proto,
                   destinationPort: port, sourcePort: 40000)
        }
        XCTAssertTrue(space.contains(accepted, packet("10.30.5.20", 6, 443)))
        XCTAssertFalse(space.contains(accepted, packet("10.30.5.21", 6, 443)))
        // The limit rule (not understood) only logs, so it cannot accept: the goto to quarantine drops the rest.
        XCTAssertFalse(space.contains(accepted, packet("10.40.0.1", 17, 9999)))
    }

    // MARK: The pretty-printed fixture

    func testPrettyPrintedLinesAndModernSyntax() throws {
        let ruleset = try NftablesJSONParser.parse(try fixture("branch.json"), file: "branch.json")
        XCTAssertEqual(ruleset.baseChains, ["inet fw forward"])
        let chain = ruleset.chains["inet fw forward"]!
        XCTAssertEqual(chain.location.line, 85)
        let rules = chain.rules
        XCTAssertEqual(Set(rules.map(\.location.line)), [97, 138, 163, 203, 238, 268, 292, 317, 358, 421, 458])

        // ct state vmap: three rules in element order, none sees a new flow.
        XCTAssertEqual(rules[0..<3].map(\.action), [.drop, .accept, .accept])
        XCTAssertEqual(rules[0..<3].map(\.match.matchesNewFlows), [false, false, false])
        XCTAssertEqual(rules[0].location, SourceLocation(file: "branch.json", line: 97, path: "$.nftables[6].rule"))

        // A set with timeouts is filled at run time: not understood.
        XCTAssertEqual(rules[3].match.unsupported, ["ip saddr @blocklist (set @blocklist changes at run time)"])
        XCTAssertEqual(rules[3].location.line, 138)

        // Interface sets: one rule per (input, output) pair.
        let pairs = rules[4..<8].map { [$0.match.inInterface!.name, $0.match.outInterface!.name] }
        XCTAssertEqual(pairs, [["lan0", "wan0"], ["lan0", "wg+"], ["lan1", "wan0"], ["lan1", "wg+"]])
        XCTAssertTrue(rules[4..<8].allSatisfy { $0.action == .accept && $0.location.line == 163 })

        // A concatenated interval set: one rule per element, tcp implied.
        XCTAssertEqual(rules[8].match, Match(source: FieldMatch(ranges: [one(ip("10.1.0.10"))]), proto: tcp, destinationPort: FieldMatch(ranges: [one(22)])))
        XCTAssertEqual(rules[9].match, Match(source: FieldMatch(ranges: [block("10.2.0.0/16")]), proto: tcp, destinationPort: FieldMatch(ranges: [ValueRange(80, 91)])))

        // IPv6-only rules match no IPv4 packet, silently.
        XCTAssertEqual(rules[10].match, Match(proto: nothing))
        XCTAssertEqual(rules[10].action, .accept)
        XCTAssertEqual(rules[11].match, Match(proto: nothing))

        // icmp type: not understood, but it does imply icmp.
        XCTAssertEqual(rules[12].match, Match(proto: FieldMatch(ranges: [ValueRange(1, 2)]), unsupported: ["icmp type echo-request"]))

        // th dport implies no protocol; meta l4proto { tcp, udp } gives it.
        XCTAssertEqual(rules[13].match, Match(proto: FieldMatch(ranges: [ValueRange(6, 7), ValueRange(17, 18)]), destinationPort: FieldMatch(ranges: [one(53)])))

        // ct state != established,related does see new flows; `!=` on a port set negates it.
        XCTAssertEqual(rules[14].match, Match(destination: FieldMatch(ranges: [ValueRange(ip("10.9.0.1"), ip("10.9.0.6"))]), proto: tcp,
                                              destinationPort: FieldMatch(ranges: [ValueRange(22, 24)], negated: true)))
        XCTAssertEqual(rules[14].text, "ct state != established,related tcp dport != { 22, 23 } ip daddr 10.9.0.1-10.9.0.5 accept")

        // Comparisons become ranges.
        XCTAssertEqual(rules[15].match, Match(proto: tcp, destinationPort: FieldMatch(ranges: [ValueRange(0, 1024)]),
                                              sourcePort: FieldMatch(ranges: [ValueRange(1024, 65_536)])))

        // A negated wildcard; reject denies.
        XCTAssertEqual(rules[16].match, Match(proto: tcp, destinationPort: FieldMatch(ranges: [one(8443)]), inInterface: InterfaceMatch(name: "mgmt+", negated: true)))
        XCTAssertEqual(rules[16].action, .drop)
        XCTAssertEqual(rules.count, 17)

        XCTAssertEqual(ruleset.warnings.map(\.location.line), [138, 292])
        XCTAssertEqual(ruleset.warnings[1].description, "branch.json:292 ($.nftables[12].rule): match not understood (icmp type echo-request); treated conservatively")
    }

    // MARK: Conditions

    func testConditionsOnOneFieldIntersect() throws {
        let rules = try forwardRules([
            // tcp and udp: no packet is both.
            #"[{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 22}}, {"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": 53}}, {"accept": null}]"#,
            #"[{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "10.0.0.0", "len": 8}}}}, {"match": {"op": "!=", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "10.1.0.0", "len": 16}}}}, {"accept": null}]"#,
            #"[{"match": {"op": "!=", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "192.168.0.0", "len": 16}}}}, {"match": {"op": "!=", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "10.0.0.0", "len": 8}}}}, {"accept": null}]"#,
            #"[{"match": {"op": "!=", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "10.0.0.1"}}, {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": {"range": ["10.0.0.0", "10.0.0.3"]}}}, {"accept": null}]"#,
            #"[{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "eth*"}}, {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "eth0"}}, {"accept": null}]"#,
            #"[{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "eth0"}}, {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "eth1"}}, {"accept": null}]"#,
            #"[{"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": "udp"}}, {"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": "domain"}}, {"accept": null}]"#,
            #"[{"match": {"op": "==", "left": {"&": [{"payload": {"protocol": "tcp", "field": "flags"}}, ["syn", "ack"]]}, "right": "syn"}}, {"accept": null}]"#,
        ])
        XCTAssertEqual(rules[0].match.proto, nothing)
        XCTAssertEqual(rules[1].match.source, FieldMatch(ranges: [ValueRange(167_772_160, ip("10.1.0.0")), ValueRange(ip("10.2.0.0"), 184_549_376)]))
        XCTAssertEqual(rules[2].match.source, FieldMatch(ranges: [ValueRange(167_772_160, 184_549_376), block("192.168.0.0/16")], negated: true))
        XCTAssertEqual(rules[3].match.destination, FieldMatch(ranges: [one(ip("10.0.0.0")), ValueRange(ip("10.0.0.2"), ip("10.0.0.4"))]))
        XCTAssertEqual(rules[4].match.inInterface, InterfaceMatch(name: "eth0"))
        XCTAssertEqual(rules[4].match.proto, nil)
        XCTAssertEqual(rules[5].match.proto, nothing, "one packet has one input interface")
        XCTAssertEqual(rules[6].match, Match(proto: FieldMatch(ranges: [ValueRange(17, 18)]), destinationPort: FieldMatch(ranges: [one(53)])))
        // Not understood, but only tcp packets can match it.
        XCTAssertEqual(rules[7].match, Match(proto: tcp, unsupported: ["tcp flags & (syn | ack) == syn"]))
    }

    func testConntrackStateAndFamily() throws {
        func ct(_ op: String, _ right: String) -> String {
            #"[{"match": {"op": "\#(op)", "left": {"ct": {"key": "state"}}, "right": \#(right)}}, {"accept": null}]"#
        }
        func meta(_ key: String, _ op: String, _ right: String) -> String {
            #"[{"match": {"op": "\#(op)", "left": {"meta": {"key": "\#(key)"}}, "right": \#(right)}}, {"accept": null}]"#
        }
        let rules = try forwardRules([
            ct("in", #""new""#), ct("!=", #""new""#), ct("==", #"{"set": ["new", "untracked"]}"#), ct("in", #"["established", "new"]"#),
            ct("!=", #""invalid""#), ct("==", #"{"set": ["established", "related"]}"#), ct("!=", #"{"|": ["established", "related"]}"#),
            meta("nfproto", "==", #""ipv4""#), meta("nfproto", "!=", #""ipv4""#), meta("nfproto", "!=", #""ipv6""#), meta("protocol", "==", #""ip6""#),
        ])
        XCTAssertEqual(rules[0..<7].map(\.match.matchesNewFlows), [true, false, true, true, true, false, true])
        XCTAssertEqual(rules[7].match, Match())
        XCTAssertEqual(rules[8].match, Match(proto: nothing))
        XCTAssertEqual(rules[9].match, Match())
        XCTAssertEqual(rules[10].match, Match(proto: nothing))
    }

    func testStatementsThatAreNotVerdicts() throws {
        let ruleset = try NftablesJSONParser.parse(document([
            #"[{"counter": {"packets": 0, "bytes": 0}}, {"log": {"prefix": "a\"b\u00e9 \ud83d\ude00"}}]"#,
            #"[{"mangle": {"key": {"meta": {"key": "mark"}}, "value": 2}}]"#,
            #"[{"match": {"op": "==", "left": {"meta": {"key": "mark"}}, "right": 1}}, {"queue": {"num": 3}}]"#,
            #"[{"match": {"op": "==", "left": {"fib": {"result": "type", "flags": ["daddr"]}}, "right": "local"}}, {"continue": null}]"#,
            #"[{"vmap": {"key": {"meta": {"key": "mark"}}, "data": {"set": [[1, {"accept": null}], [2, {"drop": null}]]}}}], "comment": "by mark""#,
        ]), file: "t.json")
        let rules = ruleset.chains["inet t fwd"]!.rules
        XCTAssertEqual(rules.map(\.action), [.continue, .continue, .unknown("queue"), .continue, .accept, .drop])
        // A verdict map on a key csirt does not read: each element's verdict, for any packet, conservatively.
        XCTAssertEqual(rules[4].match, Match(unsupported: ["meta mark vmap"]))
        XCTAssertEqual(rules[5].match, Match(unsupported: ["meta mark vmap"]))
        XCTAssertEqual(rules[5].text, #"meta mark vmap { 1 : accept, 2 : drop } comment "by mark""#)
        XCTAssertEqual(rules[0].text, "counter log prefix \"a\"bé 😀\"")
        XCTAssertEqual(rules[0].match, Match())
        XCTAssertEqual(rules[1].match, Match(), "meta mark set changes the packet, it does not test it")
        XCTAssertEqual(rules[2].match.unsupported, ["meta mark 1"])
        XCTAssertEqual(rules[3].match.unsupported, ["fib daddr type local"])
        XCTAssertEqual(ruleset.warnings.map(\.message), [
            "queue decides outside the ruleset; treated as possibly accepting",
            "match not understood (meta mark 1); treated conservatively",
            "match not understood (fib daddr type local); treated conservatively",
            "match not understood (meta mark vmap); treated conservatively",
        ])
        XCTAssertEqual(ruleset.warnings.map(\.location.line), [6, 6, 7, 8])
    }

    func testNoForwardChainIsAWarningNotAnError() throws {
        let text = #"{"nftables": [{"table": {"family": "inet", "name": "t"}}, {"chain": {"family": "inet", "table": "t", "name": "in", "type": "filter", "hook": "input", "prio": 0}}]}"#
        let ruleset = try NftablesJSONParser.parse(text, file: "t.json")
        XCTAssertEqual(ruleset.baseChains, [])
        XCTAssertEqual(ruleset.chains["inet t in"]!.policy, .accept, "a base chain without a policy accepts")
        XCTAssertEqual(ruleset.warnings.map(\.description), ["t.json:1 ($.nftables): no chain on the forward hook: nothing filters forwarded traffic"])
    }

    func testOtherFamiliesAreSkippedWithOneWarningPerTable() throws {
        let text = """
            {"nftables": [
            {"table": {"family": "ip6", "name": "filter"}},
            {"chain": {"family": "ip6", "table": "filter", "name": "forward", "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
            {"chain": {"family": "ip6", "table": "filter", "name": "other"}},
            {"rule": {"family": "ip6", "table": "filter", "chain": "forward", "expr": [{"jump": {"target": "other"}}]}},
            {"rule": {"family": "ip6", "table": "filter", "chain": "nowhere", "expr": [{"accept": null}]}},
            {"chain": {"family": "bridge", "table": "br", "name": "forward", "type": "filter", "hook": "forward", "prio": 0}},
            {"table": {"family": "arp", "name": "a"}},
            {"chain": {"family": "ip", "table": "v4", "name": "forward", "type": "filter", "hook": "forward", "prio": 0}}
            ]}
            """
        let ruleset = try NftablesJSONParser.parse(text, file: "t.json")
        XCTAssertEqual(ruleset.baseChains, ["ip v4 forward"])
        XCTAssertEqual(Array(ruleset.chains.keys), ["ip v4 forward"])
        XCTAssertEqual(ruleset.warnings.map(\.description), [
            "t.json:2 ($.nftables[0].table): table ip6 filter not analysed (csirt analyses IPv4)",
            "t.json:7 ($.nftables[5].chain): table bridge br not analysed (csirt analyses routed IPv4, not bridged traffic)",
            "t.json:8 ($.nftables[6].table): table arp a not analysed (csirt analyses IPv4)",
        ])
    }

    func testPreroutingFilterThatDropsIsReported() throws {
        let text = #"{"nftables": [{"chain": {"family": "inet", "table": "t", "name": "raw", "type": "filter", "hook": "prerouting", "prio": -300, "policy": "accept"}}, {"chain": {"family": "inet", "table": "t", "name": "f", "type": "filter", "hook": "forward", "prio": 0}}, {"rule": {"family": "inet", "table": "t", "chain": "raw", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "192.0.2.1"}}, {"drop": null}]}}]}"#
        let ruleset = try NftablesJSONParser.parse(text, file: "t.json")
        XCTAssertEqual(ruleset.baseChains, ["inet t f"])
        XCTAssertEqual(ruleset.warnings.map(\.message), ["chain inet t raw on the prerouting hook can drop forwarded packets too; csirt evaluates only the forward hook"])
    }

    // MARK: Errors

    func testErrorsNameTheLineAndPath() {
        let good = #"{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 22}}"#
        let cases: [(String, Int, String?, String)] = [
            ("{\n  \"nftables\": [\n    {\"table\": {\"family\": \"inet\" \"name\": \"x\"}}\n  ]\n}\n", 3, nil,
             "invalid JSON at column 33: expected ',' or '}' after the value of \"family\", found '\"'"),
            ("{\"nftables\": [\n{\"table\": {\"family\": \"inet\", \"name\": \"x\"}},\n]}", 3, nil, "invalid JSON at column 1: expected a value, found ']'"),
            ("{\"nftables\": [\n{\"table\": {\"family\": \"inet\", \"name\": \"x\"}}\n", 3, nil, "invalid JSON at column 1: expected ',' or ']' after an array element, found the end of the text"),
            ("{\"nftables\": [\"unterminated]}", 1, nil, "unterminated string"),
            ("{\"a\": 1, \"a\": 2}", 1, nil, "duplicate key \"a\""),
            ("{\"ruleset\": []}", 1, "$", "no \"nftables\" array at the top: not the output of nft -j list ruleset"),
            ("[]", 1, "$", "no \"nftables\" array"),
            (document([#"[{"jump": {"target": "nowhere"}}]"#]), 4, "$.nftables[2].rule.expr[0].jump.target", "jump to chain inet t nowhere, which is not declared"),
            (document([#"[{"goto": {"target": "fwd"}}]"#]), 4, "$.nftables[2].rule.expr[0].goto.target", "goto to base chain inet t fwd"),
            (document([#"[{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "10.0.0.0", "len": 33}}}}, {"accept": null}]"#]),
             4, "$.nftables[2].rule.expr[0].match.right.prefix.len", "prefix length 33 is out of range (0–32)"),
            (document(["[\(good)]", #"[{"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": {"set": [53, 70000]}}}]"#]),
             5, "$.nftables[3].rule.expr[0].match.right.set[1]", "port 70000 is out of range (0–65535)"),
            (document([#"[{"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": "tcpp"}}, {"accept": null}]"#]),
             4, "$.nftables[2].rule.expr[0].match.right", "unknown protocol name \"tcpp\""),
            (document([#"[{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "10.0.0.300"}}]"#]),
             4, "$.nftables[2].rule.expr[0].match.right", "\"10.0.0.300\" is not an IPv4 address"),
            (document([#"[{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "@nope"}}]"#]),
             4, "$.nftables[2].rule.expr[0].match.right", "set or map @nope is not declared in table inet t"),
            (document([#"[{"match": {"op": "==", "left": {"ct": {"key": "state"}}, "right": "fresh"}}]"#]),
             4, "$.nftables[2].rule.expr[0].match.right", "unknown ct state fresh"),
            (document([#"[{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": {"range": [90, 80]}}}]"#]),
             4, "$.nftables[2].rule.expr[0].match.right", "range 90-80 is empty"),
            (document([#"[{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": "gopher-ng"}}]"#]),
             4, "$.nftables[2].rule.expr[0].match.right", "unknown service name \"gopher-ng\""),
            ("{\"nftables\": [\n{\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"forwrd\", \"expr\": []}}]}", 2, "$.nftables[0].rule",
             "rule in chain inet t forwrd, which is not declared"),
            (document([]).replacingOccurrences(of: "\n]}", with: ",\n{\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"fwd\"}}\n]}"), 4, "$.nftables[2].rule",
             "rule has no \"expr\""),
            (document(["[\"accept\"]"]), 4, "$.nftables[2].rule.expr[0]", "a statement must be an object with one key"),
            ("{\"nftables\": [{\"add\": {\"table\": {\"family\": \"inet\", \"name\": \"t\"}}}]}", 1, "$.nftables[0]", "\"add\" is an nft command"),
            ("{\"nftables\": [{\"table\": {\"family\": \"inet6\", \"name\": \"t\"}}]}", 1, "$.nftables[0].table.family", "unknown family \"inet6\""),
        ]
        for (text, line, path, fragment) in cases {
            XCTAssertThrowsError(try NftablesJSONParser.parse(text, file: "fw.json"), fragment) { error in
                let problem = error as! RulesetError
                XCTAssertEqual(problem.location.line, line, "\(problem)")
                XCTAssertEqual(problem.location.path, path, "\(problem)")
                XCTAssertTrue(problem.description.hasPrefix("fw.json:\(line)"), "\(problem)")
                XCTAssertTrue(problem.message.contains(fragment), "\(problem.message) lacks \(fragment)")
                XCTAssertFalse(problem.message.contains("\n"), "one line: \(problem.message)")
                XCTAssertEqual(problem.message.first.map { $0.isUppercase }, false, "lowercase start: \(problem.message)")
            }
        }
    }

    // MARK: Size

    func testManyRulesKeepTheirOrderAndLines() throws {
        // Rules are listed in chain order; handles say nothing about order.
        let count = 3000
        let rules = (0..<count).map { i in
            #"[{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": \#(i % 65_536)}}, {"accept": null}]"#
        }
        let parsed = try forwardRules(rules)
        XCTAssertEqual(parsed.count, count)
        XCTAssertEqual(parsed.map { $0.match.destinationPort!.ranges[0].lower }, (0..<count).map { UInt64($0) })
        XCTAssertEqual(parsed.last!.location.line, count + 3)
    }
}
