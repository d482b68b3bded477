import Segmentation
import YAMLFormats
import XCTest

final class SiteTests: XCTestCase {
    /// The example from the issue, as a user would write it.
    let example = """
        site: Example City
        model: alpha                # alpha | beta | beta-prime — picks the default policy
        segments:                   # the three layers, as address blocks
          mynumber: [10.10.0.0/16]
          lgwan:    [10.20.0.0/16]
          internet: [10.30.0.0/16]
        zones:                      # networks outside the three layers
          lgwan-backbone: [172.16.0.0/12]
          security-cloud: [203.0.113.0/24]
          internet: [0.0.0.0/0]     # the most specific block wins
        hosts:
          - {name: sanitizer-1, role: sanitizer, address: 10.30.5.10}
          - {name: vbrowser-1, role: screen-transfer, address: 10.30.5.20, services: [tcp/443]}
          - {name: lgwan-files, role: file-exchange, address: 10.20.5.10, services: [tcp/445]}
          - {name: chukan, role: intermediate-server, address: 172.16.1.10, services: [tcp/443]}
          - {name: mn-pc-01, address: 10.10.1.11, two-factor: true, removable-media: blocked}
        firewalls:
          - name: fw-core
            format: iptables-save   # iptables-save | nftables-json
            file: fw-core.rules     # relative to network.yaml
            interfaces: {eth0: mynumber, eth1: lgwan, eth2: internet, eth3: lgwan-backbone, eth4: security-cloud}
        notes: the site's own key, ignored
        """

    func testReadsTheExampleSite() throws {
        let site = try SiteDecoder.decode(example, file: "network.yaml")
        XCTAssertEqual(site.name, "Example City")
        XCTAssertEqual(site.model, .alpha)
        XCTAssertEqual(site.segments[.lgwan], [IPv4.block("10.20.0.0/16")!])
        XCTAssertEqual(site.zones.keys.sorted(), ["internet", "lgwan-backbone", "security-cloud"])
        XCTAssertEqual(site.hosts.map(\.name), ["sanitizer-1", "vbrowser-1", "lgwan-files", "chukan", "mn-pc-01"])
        XCTAssertEqual(site.hosts[1].services, [Service("tcp/443")!])
        XCTAssertEqual(site.hosts[4].attributes, ["two-factor": "true", "removable-media": "blocked"])
        XCTAssertEqual(site.hosts[4].location.line, 16)
        let firewall = site.firewalls[0]
        XCTAssertEqual(firewall.format, .iptablesSave)
        XCTAssertEqual(firewall.interfaces["eth2"], .segment(.internet), "a bare name means the segment")
        XCTAssertEqual(firewall.interfaces["eth4"], .zone("security-cloud"))
    }

    func testTheMostSpecificBlockWins() throws {
        let site = try SiteDecoder.decode(example, file: "network.yaml")
        let map = site.addressMap()
        XCTAssertEqual(site.area(of: IPv4.address("10.30.5.20")!, in: map), .segment(.internet))
        XCTAssertEqual(site.area(of: IPv4.address("8.8.8.8")!, in: map), .zone("internet"))
        XCTAssertEqual(site.area(of: IPv4.address("172.16.1.10")!, in: map), .zone("lgwan-backbone"))
        XCTAssertEqual(site.area(of: IPv4.address("203.0.113.9")!, in: map), .zone("security-cloud"))
        // The areas partition the address space: no address belongs to two.
        let sets = Array(map.values)
        for i in sets.indices { for j in sets.indices where i < j { XCTAssertTrue(sets[i].intersection(sets[j]).isEmpty) } }
    }

    func testProblemsAreLocated() {
        let cases: [(String, String, Int, String)] = [
            ("model: alpha ", "model: gamma ", 2, "unknown model \"gamma\""),
            ("mynumber: [10.10.0.0/16]", "mynumber: [10.10.0.0/33]", 4, "not an IPv4 address or block"),
            ("lgwan:    [10.20.0.0/16]", "lgwn:     [10.20.0.0/16]", 5, "unknown segment \"lgwn\""),
            ("address: 10.30.5.20,", "address: 10.30.5.256,", 13, "not an IPv4 address"),
            ("services: [tcp/443]}\n  - {name: lgwan", "services: [http]}\n  - {name: lgwan", 13, "not proto/port"),
            ("eth4: security-cloud", "eth4: security-clod", 21, "neither a segment nor a zone"),
            ("format: iptables-save ", "format: pf ", 19, "unknown format \"pf\""),
        ]
        for (original, replacement, line, fragment) in cases {
            let text = example.replacingOccurrences(of: original, with: replacement)
            XCTAssertNotEqual(text, example, original)
            XCTAssertThrowsError(try SiteDecoder.decode(text, file: "network.yaml")) { error in
                let problems = (error as! YAMLProblems).problems
                let match = problems.first { $0.message.contains(fragment) }
                XCTAssertNotNil(match, "\(replacement): \(problems)")
                XCTAssertEqual(match?.line, line, "\(replacement): \(problems)")
            }
        }
        XCTAssertThrowsError(try SiteDecoder.decode("site: x\n", file: "n.yaml")) { error in
            XCTAssertTrue((error as! YAMLProblems).problems.contains { $0.message.contains("lacks \"segments\"") })
        }
    }

    func testAddressesAndBlocksAreReadStrictly() {
        XCTAssertEqual(IPv4.address("10.20.30.40"), 0x0a14_1e28)
        XCTAssertEqual(IPv4.address("0.0.0.0"), 0)
        XCTAssertEqual(IPv4.address("255.255.255.255"), 0xffff_ffff)
        for bad in ["10.0.0.256", "1.2.3", "1..2.3", "1.2.3.4.5", "a.b.c.d", "1.2.3.4 ", "", "1.2.3.", ".1.2.3", "1000.1.1.1"] {
            XCTAssertNil(IPv4.address(Substring(bad)), bad)
        }
        XCTAssertEqual(IPv4.block("10.0.0.0/8"), ValueRange(0x0a00_0000, 0x0b00_0000))
        XCTAssertEqual(IPv4.block("10.1.2.3/255.255.0.0"), ValueRange(0x0a01_0000, 0x0a02_0000))
        XCTAssertEqual(IPv4.block("10.1.2.3"), ValueRange(0x0a01_0203, 0x0a01_0204))
        for bad in ["10.0.0.0/33", "10.0.0.0/", "10.0.0.0/255.0.255.0", "10.0.0.0/+8", "10.0.0/8"] {
            XCTAssertNil(IPv4.block(Substring(bad)), bad)
        }
    }
}
