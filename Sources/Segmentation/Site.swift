/// The variants of the national guideline's three-layer model.
public enum SeparationModel: String, Sendable, CaseIterable {
    case alpha
    case alphaPrime = "alpha-prime"
    case beta
    case betaPrime = "beta-prime"
}

/// The three segments (三層): マイナンバー利用事務系, LGWAN接続系, インターネット接続系.
public enum SegmentName: String, Sendable, CaseIterable {
    case mynumber, lgwan, internet
}

/// A segment or another network of the site. Segments and zones are separate namespaces (the
/// Internet segment and the Internet zone are different places); where a bare name could mean
/// either, it means the segment.
public enum Area: Sendable, Hashable, CustomStringConvertible {
    case segment(SegmentName)
    case zone(String)

    public var description: String {
        switch self {
        case .segment(let name): return "segment \(name.rawValue)"
        case .zone(let name): return "zone \(name)"
        }
    }
}

/// A service a host offers: protocol and port range, written `tcp/443` or `udp/1000-2000`.
public struct Service: Sendable, Hashable, CustomStringConvertible {
    public var proto: UInt64
    public var ports: ValueRange

    public init(proto: UInt64, ports: ValueRange) {
        self.proto = proto
        self.ports = ports
    }

    public init?(_ text: String) {
        let parts = text.lowercased().split(separator: "/", maxSplits: 1)
        guard parts.count == 2, let proto = ["tcp": UInt64(6), "udp": 17, "sctp": 132][String(parts[0])] else { return nil }
        let bounds = parts[1].split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard bounds.count <= 2, let low = UInt64(bounds[0]), let high = bounds.count == 2 ? UInt64(bounds[1]) : low, low <= high, high <= 65_535 else { return nil }
        self.init(proto: proto, ports: ValueRange(low, high + 1))
    }

    public var description: String {
        let name = proto == 6 ? "tcp" : proto == 17 ? "udp" : "sctp"
        return ports.upper - ports.lower == 1 ? "\(name)/\(ports.lower)" : "\(name)/\(ports.lower)-\(ports.upper - 1)"
    }
}

public struct Host: Sendable, Equatable {
    public var name: String
    public var role: String?
    public var address: UInt64
    public var services: [Service]
    /// Declared endpoint attributes (`two-factor`, `removable-media`, …) as written.
    public var attributes: [String: String]
    public var location: SourceLocation

    public init(name: String, role: String?, address: UInt64, services: [Service], attributes: [String: String], location: SourceLocation) {
        self.name = name
        self.role = role
        self.address = address
        self.services = services
        self.attributes = attributes
        self.location = location
    }
}

public enum RulesetFormat: String, Sendable, CaseIterable {
    case iptablesSave = "iptables-save"
    case nftablesJSON = "nftables-json"
}

public struct FirewallReference: Sendable, Equatable {
    public var name: String
    public var format: RulesetFormat
    /// As written in the site description (relative to it).
    public var file: String
    public var interfaces: [String: Area]
    public var location: SourceLocation

    public init(name: String, format: RulesetFormat, file: String, interfaces: [String: Area], location: SourceLocation) {
        self.name = name
        self.format = format
        self.file = file
        self.interfaces = interfaces
        self.location = location
    }
}

/// A site description (`network.yaml`): its segments and zones as address blocks, its hosts and
/// its firewalls.
public struct Site: Sendable, Equatable {
    public var name: String
    public var model: SeparationModel
    public var segments: [SegmentName: [ValueRange]]
    public var zones: [String: [ValueRange]]
    public var hosts: [Host]
    public var firewalls: [FirewallReference]

    public init(name: String, model: SeparationModel, segments: [SegmentName: [ValueRange]], zones: [String: [ValueRange]],
                hosts: [Host], firewalls: [FirewallReference]) {
        self.name = name
        self.model = model
        self.segments = segments
        self.zones = zones
        self.hosts = hosts
        self.firewalls = firewalls
    }

    /// Which area owns each address: the most specific block wins; on a tie, a segment beats a zone.
    /// Addresses no block covers belong to no area.
    public func addressMap() -> [Area: IntervalSet] {
        var blocks: [(area: Area, range: ValueRange, rank: Int)] = []
        for (name, ranges) in segments { for range in ranges { blocks.append((.segment(name), range, 0)) } }
        for (name, ranges) in zones { for range in ranges { blocks.append((.zone(name), range, 1)) } }
        // Paint the widest first so that narrower blocks overwrite them.
        blocks.sort { ($0.range.upper - $0.range.lower, $0.rank, "\($0.area)") > ($1.range.upper - $1.range.lower, $1.rank, "\($1.area)") }
        var owned: [Area: IntervalSet] = [:]
        for block in blocks {
            let painted = IntervalSet(block.range)
            for area in owned.keys { owned[area] = owned[area]!.subtracting(painted) }
            owned[block.area] = (owned[block.area] ?? .empty).union(painted)
        }
        return owned.filter { !$0.value.isEmpty }
    }

    /// The area of one address.
    public func area(of address: UInt64, in map: [Area: IntervalSet]) -> Area? {
        map.first { $0.value.contains(address) }?.key
    }
}
