import Segmentation
import XCTest
import YAMLFormats

/// One small case per semantic point of the analysis: the ruleset, and the verdict and proof csirt
/// must give for it.
final class GoldenSemanticsTests: XCTestCase {
    static let site = """
        site: Golden
        model: alpha
        segments: {mynumber: [10.10.0.0/16], lgwan: [10.20.0.0/16], internet: [10.30.0.0/16]}
        zones: {security-cloud: [203.0.113.0/24], partner: [192.0.2.0/24]}
        hosts:
          - {name: vb, role: screen-transfer, address: 10.30.5.20, services: [tcp/443]}
          - {name: mn-pc, address: 10.10.1.11, two-factor: true, removable-media: allowed}
          - {name: mn-pc-2, address: 10.10.1.12, two-factor: false}
        firewalls:
          - {name: fw, format: iptables-save, file: fw.rules, interfaces: {eth0: mynumber, eth1: lgwan, eth2: internet, eth4: security-cloud}}
        """
    static let policy = """
        policy: golden
        model: alpha
        title: {ja: テスト, en: Test}
        guideline: test
        rules:
          - id: NO-MN-IN
            title: {ja: 禁止, en: My Number must not reach the Internet segment}
            section: s1
            severity: critical
            forbid: {from: segment:mynumber, to: segment:internet}
          - id: LG-VB
            title: {ja: 必要, en: LGWAN reaches screen transfer}
            section: s2
            severity: high
            require: {from: segment:lgwan, to: role:screen-transfer, services: declared}
          - id: NO-MN-PARTNER
            title: {ja: 禁止, en: My Number must not reach the partner}
            section: s4
            severity: high
            forbid: {from: segment:mynumber, to: zone:partner}
          - id: EP
            title: {ja: 端末, en: My Number endpoints}
            section: s3
            severity: high
            endpoint: {in: segment:mynumber, require: {two-factor: "true"}}
        """

    /// Checks `filter` (the body of the filter table) and returns the findings.
    func check(_ filter: String, forwardPolicy: String = "DROP", format: RulesetFormat = .iptablesSave, nftables: String? = nil) throws -> CheckResult {
        let site = try SiteDecoder.decode(Self.site, file: "network.yaml")
        let policy = try PolicyDecoder.decode(Self.policy, file: "golden.yaml")
        let ruleset: Ruleset
        var reference = site.firewalls[0]
        if let nftables {
            reference.format = .nftablesJSON
            ruleset = try NftablesJSONParser.parse(nftables, file: "fw.json")
        } else {
            let text = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD \(forwardPolicy) [0:0]\n:OUTPUT ACCEPT [0:0]\n" + filter + "\nCOMMIT\n"
            ruleset = try IptablesSaveParser.parse(text, file: "fw.rules")
        }
        return try SegmentationCheck(site: site, policy: policy, firewalls: [(reference, ruleset)]).run()
    }

    /// The LGWAN → screen-transfer rule every case needs so that only the case's point decides.
    let screenTransfer = "-A FORWARD -i eth1 -o eth2 -d 10.30.5.20/32 -p tcp --dport 443 -j ACCEPT"

    func violations(_ result: CheckResult, _ id: String) -> [Finding] {
        result.violations.filter { $0.policyRule?.id == id }
    }

    func ip(_ text: String) -> UInt64 { IPv4.address(Substring(text))! }

    func assertWitness(_ finding: Finding?, inside sources: String, _ destinations: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let witness = finding?.witness else { return XCTFail("no witness", file: file, line: line) }
        XCTAssertTrue(IPv4.block(Substring(sources))!.lower <= witness.source && witness.source < IPv4.block(Substring(sources))!.upper, "\(witness)", file: file, line: line)
        XCTAssertTrue(IPv4.block(Substring(destinations))!.lower <= witness.destination && witness.destination < IPv4.block(Substring(destinations))!.upper, "\(witness)", file: file, line: line)
    }

    func testFirstMatchWins() throws {
        let safe = try check("-A FORWARD -i eth0 -o eth2 -j DROP\n-A FORWARD -i eth0 -o eth2 -j ACCEPT\n" + screenTransfer)
        XCTAssertTrue(violations(safe, "NO-MN-IN").isEmpty)
        let leak = try check("-A FORWARD -i eth0 -o eth2 -p tcp --dport 22 -j ACCEPT\n-A FORWARD -i eth0 -o eth2 -j DROP\n" + screenTransfer)
        let found = violations(leak, "NO-MN-IN")
        XCTAssertEqual(found.map(\.location.line), [5])
        XCTAssertEqual(found.first?.witness?.proto, 6)
        XCTAssertEqual(found.first?.witness?.destinationPort, 22)
        assertWitness(found.first, inside: "10.10.0.0/16", "10.30.0.0/16")
    }

    func testChainPolicyDecidesWhatNoRuleDoes() throws {
        let open = try check(screenTransfer, forwardPolicy: "ACCEPT")
        let found = violations(open, "NO-MN-IN")
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(found.first?.location.line, 3, "the :FORWARD ACCEPT line")
        XCTAssertTrue(try check(screenTransfer).violations.filter { $0.kind == .forbiddenFlow }.isEmpty)
    }

    func testJumpReturnsAndGotoDoesNot() throws {
        // The user chain returns what it does not decide; the next FORWARD rule then accepts it.
        let jump = try check(":MN - [0:0]\n-A FORWARD -i eth0 -j MN\n-A FORWARD -i eth0 -o eth2 -p udp -j ACCEPT\n-A MN -p tcp -j DROP\n-A MN -j RETURN\n" + screenTransfer)
        XCTAssertEqual(violations(jump, "NO-MN-IN").map(\.location.line), [7])
        XCTAssertEqual(violations(jump, "NO-MN-IN").first?.witness?.proto, 17)
        // goto: what MN does not decide goes back to FORWARD's caller, i.e. the DROP policy.
        let goto = try check(":MN - [0:0]\n-A FORWARD -i eth0 -g MN\n-A FORWARD -i eth0 -o eth2 -p udp -j ACCEPT\n-A MN -p tcp -j DROP\n-A MN -j RETURN\n" + screenTransfer)
        XCTAssertTrue(violations(goto, "NO-MN-IN").isEmpty)
        // An accept inside the called chain is the finding's rule.
        let inner = try check(":MN - [0:0]\n-A FORWARD -i eth0 -j MN\n-A MN -d 10.30.1.0/24 -j ACCEPT\n" + screenTransfer)
        XCTAssertEqual(violations(inner, "NO-MN-IN").map(\.location.line), [7])
        assertWitness(violations(inner, "NO-MN-IN").first, inside: "10.10.0.0/16", "10.30.1.0/24")
    }

    func testNegationAndAddresses() throws {
        // Everything but 10.10.1.0/24 is dropped: the /24 leaks, proved by a packet from it.
        let negated = try check("-A FORWARD ! -s 10.10.1.0/24 -i eth0 -j DROP\n-A FORWARD -i eth0 -j ACCEPT\n" + screenTransfer)
        assertWitness(violations(negated, "NO-MN-IN").first, inside: "10.10.1.0/24", "10.30.0.0/16")
        let range = try check("-A FORWARD -i eth0 -m iprange --dst-range 10.30.9.1-10.30.9.5 -j ACCEPT\n" + screenTransfer)
        let witness = violations(range, "NO-MN-IN").first?.witness
        XCTAssertNotNil(witness)
        XCTAssertTrue((ip("10.30.9.1")...ip("10.30.9.5")).contains(witness?.destination ?? 0))
    }

    func testProtocolsPortsAndMultiport() throws {
        let result = try check("-A FORWARD -i eth0 -o eth2 -p udp -m multiport --dports 500,4500 -j ACCEPT\n" + screenTransfer)
        let witness = violations(result, "NO-MN-IN").first?.witness
        XCTAssertEqual(witness?.proto, 17)
        XCTAssertTrue([500, 4500].contains(witness?.destinationPort ?? 0))
        let source = try check("-A FORWARD -i eth0 -o eth2 -p tcp --sport 123 -j ACCEPT\n" + screenTransfer)
        XCTAssertEqual(violations(source, "NO-MN-IN").first?.witness?.sourcePort, 123)
    }

    func testInterfacesComeFromTheSiteMap() throws {
        // eth1 is LGWAN: accepting eth1 → eth2 broadly is not a My Number leak.
        XCTAssertTrue(violations(try check("-A FORWARD -i eth1 -o eth2 -j ACCEPT"), "NO-MN-IN").isEmpty)
        let wildcard = try check("-A FORWARD -i eth+ -o eth2 -j ACCEPT")
        XCTAssertEqual(violations(wildcard, "NO-MN-IN").first?.witness?.inInterface, "eth0")
        let unknown = try check("-A FORWARD -i eth9 -j ACCEPT\n" + screenTransfer)
        XCTAssertEqual(unknown.warnings.filter { $0.kind == .unknownInterface }.map(\.location.line), [5])
    }

    func testEstablishedRulesAdmitNoNewFlow() throws {
        let result = try check("-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A FORWARD -m state --state ESTABLISHED -j ACCEPT\n" + screenTransfer)
        XCTAssertTrue(violations(result, "NO-MN-IN").isEmpty)
        let new = try check("-A FORWARD -i eth0 -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT\n" + screenTransfer)
        XCTAssertEqual(violations(new, "NO-MN-IN").count, 1)
    }

    func testRejectAndDropBothDeny() throws {
        let result = try check("-A FORWARD -i eth0 -p tcp -j REJECT --reject-with tcp-reset\n-A FORWARD -i eth0 -j DROP\n-A FORWARD -i eth0 -j ACCEPT\n" + screenTransfer)
        XCTAssertTrue(violations(result, "NO-MN-IN").isEmpty)
    }

    func testOnlyForwardMatters() throws {
        XCTAssertTrue(violations(try check("-A INPUT -j ACCEPT\n-A OUTPUT -j ACCEPT\n" + screenTransfer), "NO-MN-IN").isEmpty)
    }

    func testUnreadableRulesNeverLookSafer() throws {
        // A drop csirt cannot read does not protect; an accept it cannot read may leak.
        let drop = try check("-A FORWARD -i eth0 -m recent --rcheck -j DROP\n-A FORWARD -i eth0 -j ACCEPT\n" + screenTransfer)
        XCTAssertEqual(violations(drop, "NO-MN-IN").map(\.location.line), [6])
        XCTAssertTrue(drop.warnings.contains { $0.kind == .unreadRule && $0.location.line == 5 })
        let accept = try check("-A FORWARD -i eth0 -m time --timestart 09:00 -j ACCEPT\n" + screenTransfer)
        XCTAssertEqual(violations(accept, "NO-MN-IN").map(\.location.line), [5])
        // And for a required flow an unreadable accept does not count.
        let required = try check("-A FORWARD -i eth1 -o eth2 -m time --timestart 09:00 -j ACCEPT")
        XCTAssertEqual(violations(required, "LG-VB").count, 1)
    }

    func testIPv6IsReportedAsNotAnalysed() throws {
        let result = try check("-A FORWARD -s 2001:db8::/32 -j ACCEPT\n" + screenTransfer)
        XCTAssertTrue(result.warnings.contains { $0.location.line == 5 && $0.message.contains("IPv6") })
    }

    func testMissingRequiredFlowNamesTheBlockingRule() throws {
        let result = try check("-A FORWARD -i eth1 -o eth2 -p tcp --dport 443 -j DROP\n" + screenTransfer)
        let found = violations(result, "LG-VB")
        XCTAssertEqual(found.map(\.kind), [.missingFlow])
        XCTAssertEqual(found.first?.location.line, 5)
        XCTAssertEqual(found.first?.witness?.destination, ip("10.30.5.20"))
        // Blocked by nothing but the policy: the :FORWARD line.
        XCTAssertEqual(violations(try check(""), "LG-VB").first?.location.line, 3)
    }

    func testEndpointFindingNamesTheHost() throws {
        let found = violations(try check(screenTransfer), "EP")
        XCTAssertEqual(found.map(\.location.line), [8], "mn-pc-2's line in network.yaml; mn-pc declares two-factor")
        XCTAssertTrue(found.first?.message.contains("mn-pc-2 (10.10.1.12): two-factor is false, must be true") ?? false, found.first?.message ?? "")
    }

    func testHygieneWarnings() throws {
        let result = try check("-A FORWARD -i eth1 -j ACCEPT\n-A FORWARD -i eth1 -o eth2 -p tcp -j ACCEPT\n" + screenTransfer)
        XCTAssertEqual(result.warnings.filter { $0.kind == .shadowedRule }.map(\.location.line), [6, 7])
        XCTAssertEqual(result.warnings.filter { $0.kind == .anyToAny }.map(\.location.line), [5])
    }

    func testNftablesAcceptEndsOnlyItsBaseChain() throws {
        // The first base chain accepts everything; the second drops My Number → Internet: no leak.
        func nft(_ secondRule: String) -> String {
            """
            {"nftables": [
              {"table": {"family": "inet", "name": "f"}},
              {"chain": {"family": "inet", "table": "f", "name": "a", "type": "filter", "hook": "forward", "prio": -10, "policy": "accept"}},
              {"chain": {"family": "inet", "table": "f", "name": "b", "type": "filter", "hook": "forward", "prio": 0, "policy": "accept"}},
              {"rule": {"family": "inet", "table": "f", "chain": "a", "expr": [{"accept": null}]}},
              {"rule": {"family": "inet", "table": "f", "chain": "b", "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "eth0"}}, \(secondRule)]}}
            ]}
            """
        }
        let dropped = try check("", nftables: nft(#"{"drop": null}"#))
        XCTAssertTrue(violations(dropped, "NO-MN-IN").isEmpty)
        let accepted = try check("", nftables: nft(#"{"accept": null}"#))
        let found = violations(accepted, "NO-MN-IN")
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(found.first?.related.count, 1, "names the accept of both base chains")
    }

    /// However the packets are split into partitions (threads), the findings are the same.
    func testPartitionsGiveTheSameFindings() throws {
        var examples = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { examples.deleteLastPathComponent() }
        examples.appendPathComponent("Examples/segmentation")
        var compared = 0
        for model in ["alpha", "beta", "beta-prime"] {
            for name in ["network-noncompliant.yaml", "network-noncompliant-nft.yaml", "network.yaml"] {
                let path = examples.appendingPathComponent("\(model)/\(name)").path
                let site = try SiteDecoder.decode(try String(contentsOfFile: path, encoding: .utf8), file: path)
                let policyPath = examples.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Policies/three-layer-\(model).yaml").path
                let policy = try PolicyDecoder.decode(try String(contentsOfFile: policyPath, encoding: .utf8), file: policyPath)
                let firewalls = try site.firewalls.map { reference -> (FirewallReference, Ruleset) in
                    let file = examples.appendingPathComponent("\(model)/\(reference.file)").path
                    let text = try String(contentsOfFile: file, encoding: .utf8)
                    return (reference, reference.format == .iptablesSave ? try IptablesSaveParser.parse(text, file: file) : try NftablesJSONParser.parse(text, file: file))
                }
                func summary(_ parallelism: Int) throws -> [String] {
                    try SegmentationCheck(site: site, policy: policy, firewalls: firewalls, parallelism: parallelism).run().findings
                        .map { "\($0.kind.rawValue) \($0.policyRule?.id ?? "") \($0.location) \($0.related.map(\.location))" }.sorted()
                }
                let single = try summary(1)
                XCTAssertEqual(try summary(2), single, "\(model)/\(name)")
                XCTAssertEqual(try summary(4), single, "\(model)/\(name)")
                compared += 1
            }
        }
        XCTAssertEqual(compared, 9)
    }

    func testConntrackStatesThatMayBeAFirstPacketAreReadConservatively() throws {
        // A port-forward accept (fw3 writes it so) may admit new flows: it is a violation.
        let dnat = try check("-A FORWARD -i eth0 -m conntrack --ctstate DNAT -j ACCEPT\n" + screenTransfer)
        XCTAssertEqual(violations(dnat, "NO-MN-IN").map(\.location.line), [5])
        XCTAssertTrue(dnat.warnings.contains { $0.kind == .unreadRule && $0.location.line == 5 })
        // A drop of INVALID,UNTRACKED does not protect what follows.
        let untracked = try check("-A FORWARD -m conntrack --ctstate INVALID,UNTRACKED -j DROP\n-A FORWARD -i eth0 -j ACCEPT\n" + screenTransfer)
        XCTAssertEqual(violations(untracked, "NO-MN-IN").map(\.location.line), [6])
    }

    func testTCPFlagsFragmentsAndNegationStayWhereTheyBelong() throws {
        // `! -f` must not negate the --dport after it.
        let fragment = try check("-A FORWARD -i eth0 -p tcp ! -f -m tcp --dport 80 -j ACCEPT\n" + screenTransfer)
        XCTAssertEqual(violations(fragment, "NO-MN-IN").first?.witness?.destinationPort, 80)
        // iptables-save's spelling of --syn reads; its negation never sees a new flow.
        let syn = try check("-A FORWARD -i eth0 -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -j DROP\n-A FORWARD -i eth0 -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j ACCEPT\n" + screenTransfer)
        XCTAssertEqual(violations(syn, "NO-MN-IN").map(\.location.line), [6])
    }

    func testOptionsWithTwoValuesAndUnknownTargetsAreRead() throws {
        let result = try check("-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu\n-A FORWARD -i eth0 -m set --match-set partners src -j ACCEPT\n-A FORWARD -i eth0 -p tcp -j SYNPROXY --sack-perm --timestamp\n" + screenTransfer)
        XCTAssertEqual(violations(result, "NO-MN-IN").map(\.location.line), [6], "the unreadable set match may accept everything from eth0")
        XCTAssertTrue(result.warnings.contains { $0.location.line == 7 && $0.message.contains("SYNPROXY") })
        XCTAssertEqual(try check("-A FORWARD -p ospf -j ACCEPT\n" + screenTransfer).warnings.filter { $0.kind == .unreadRule }.count, 0)
    }

    func testServicesAreReadStrictly() {
        XCTAssertEqual(Service("tcp/80-90")?.ports, ValueRange(80, 91))
        for bad in ["tcp/-", "tcp/--", "tcp/80-", "tcp/-80", "tcp/90-80", "tcp/65536", "icmp/1", "tcp"] {
            XCTAssertNil(Service(bad), bad)
        }
    }

    func testAForbiddenFlowNoFirewallCrossesIsReportedAsNotChecked() throws {
        let result = try check(screenTransfer)
        XCTAssertEqual(result.warnings.filter { $0.kind == .notChecked }.map { $0.policyRule?.id }, ["NO-MN-PARTNER"])
    }
}
