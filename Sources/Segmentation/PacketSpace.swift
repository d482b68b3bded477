/// The header fields csirt reasons about, in the order of the decision diagram's variables: the
/// interfaces first (few values, so every rule without an interface condition is shared across
/// all interface pairs), then the addresses, protocol and ports.
public enum HeaderField: Int, CaseIterable, Sendable {
    case inInterface, outInterface, source, destination, proto, destinationPort, sourcePort
}

/// One concrete packet: the first packet of a new flow through a firewall.
public struct Packet: Sendable, Hashable, CustomStringConvertible {
    public var inInterface: String
    public var outInterface: String
    public var source: UInt64
    public var destination: UInt64
    public var proto: UInt64
    public var destinationPort: UInt64
    public var sourcePort: UInt64

    public init(inInterface: String, outInterface: String, source: UInt64, destination: UInt64, proto: UInt64, destinationPort: UInt64, sourcePort: UInt64) {
        self.inInterface = inInterface
        self.outInterface = outInterface
        self.source = source
        self.destination = destination
        self.proto = proto
        self.destinationPort = destinationPort
        self.sourcePort = sourcePort
    }

    /// Whether the protocol has ports (the port fields mean nothing for ICMP and the like).
    public var hasPorts: Bool { [6, 17, 132, 136].contains(proto) }

    public var protocolName: String { IPProtocol.name(proto) }

    /// `10.10.0.0 → 10.30.0.0 tcp/0 (in eth0, out eth2)`
    public var description: String {
        let service = hasPorts ? "\(protocolName)/\(destinationPort)" : protocolName
        return "\(IPv4.format(source)) → \(IPv4.format(destination)) \(service) (in \(inInterface), out \(outInterface))"
    }
}

/// Protocol numbers and the names people write.
public enum IPProtocol {
    static let names: [UInt64: String] = [1: "icmp", 2: "igmp", 6: "tcp", 17: "udp", 47: "gre", 50: "esp", 51: "ah", 132: "sctp", 136: "udplite"]

    public static func name(_ number: UInt64) -> String { names[number] ?? "proto-\(number)" }
}

/// The space of packets through one firewall: its interfaces (in and out) × the IPv4 header
/// fields, held as a decision diagram with one level per interface and per 4-bit digit of the
/// other fields (an address takes eight levels of 16 values). Digits balance path length (29
/// levels where a bitwise diagram has 110) against node width (at most 16 edges, where a level per
/// field copies a node with an edge per address each time a rule changes it); measured on the
/// benchmark, 4 bits beat 1, 2 and 8.
public final class PacketSpace {
    public typealias Node = DecisionDiagram.Node

    public let diagram: DecisionDiagram
    public let interfaces: [String]
    /// The fields in the order of the diagram's levels.
    public let order: [HeaderField]
    /// Each field's first level and number of levels.
    private let firstLevel: [Int]
    private let levelCount: [Int]

    /// Bits per level.
    static let digitBits = 4

    static func bytes(_ field: HeaderField) -> Int {
        switch field {
        case .inInterface, .outInterface: return 1
        case .source, .destination: return 4
        case .proto: return 1
        case .destinationPort, .sourcePort: return 2
        }
    }

    /// `expectedNodes` sizes the diagram up front (growing it means rehashing every node).
    /// `order` must list every field once.
    public init(interfaces: [String], expectedNodes: Int = 1 << 12, order: [HeaderField] = HeaderField.allCases) {
        precondition(Set(order) == Set(HeaderField.allCases) && order.count == HeaderField.allCases.count, "order must list every field once")
        self.interfaces = interfaces
        self.order = order
        var firstLevel = Array(repeating: 0, count: HeaderField.allCases.count)
        var levelCount = Array(repeating: 0, count: HeaderField.allCases.count)
        var domains: [UInt64] = []
        for field in order {
            firstLevel[field.rawValue] = domains.count
            switch field {
            case .inInterface, .outInterface:
                levelCount[field.rawValue] = 1
                domains.append(UInt64(max(1, interfaces.count)))
            default:
                levelCount[field.rawValue] = Self.bytes(field) * 8 / Self.digitBits
                domains += Array(repeating: 1 << UInt64(Self.digitBits), count: Self.bytes(field) * 8 / Self.digitBits)
            }
        }
        self.firstLevel = firstLevel
        self.levelCount = levelCount
        diagram = DecisionDiagram(domains: domains, capacity: min(expectedNodes, 1 << 26))
    }

    /// Every value a field can hold.
    public func domain(of field: HeaderField) -> IntervalSet {
        switch field {
        case .inInterface, .outInterface: return IntervalSet(ValueRange(0, UInt64(max(1, interfaces.count))))
        default: return IntervalSet(ValueRange(0, 1 << UInt64(8 * Self.bytes(field))))
        }
    }

    /// Every packet on the firewall's interfaces.
    public var everything: Node { DecisionDiagram.all }

    /// The packets whose fields all lie in the given sets (fields not named are free).
    public func box(_ conditions: [HeaderField: IntervalSet]) -> Node {
        var node = DecisionDiagram.all
        for field in order.reversed() {
            guard let values = conditions[field] else { continue }
            let domain = domain(of: field)
            let clipped = values.intersection(domain)
            if clipped.isEmpty { return DecisionDiagram.empty }
            if clipped == domain { continue }
            node = build(clipped.ranges[...], level: firstLevel[field.rawValue], levels: levelCount[field.rawValue],
                         base: 0, blockSize: domain.ranges[0].upper, then: node)
        }
        return node
    }

    /// The values of `ranges` (sorted, disjoint, inside `base ..< base + blockSize`) over
    /// `levels` levels from `level`, continuing with `then`.
    private func build(_ ranges: ArraySlice<ValueRange>, level: Int, levels: Int, base: UInt64, blockSize: UInt64, then: Node) -> Node {
        if ranges.isEmpty { return DecisionDiagram.empty }
        if ranges.count == 1, ranges.first!.lower <= base, ranges.first!.upper >= base + blockSize { return then }
        let domain = diagram.domains[level]
        let sub = blockSize / domain
        var edges: [(last: UInt64, child: Node)] = []
        // Blocks between boundaries are wholly in or wholly out; blocks with a boundary recurse.
        var block: UInt64 = 0
        var index = ranges.startIndex
        while block < domain {
            let blockLower = base + block * sub, blockUpper = blockLower + sub
            while index < ranges.endIndex && ranges[index].upper <= blockLower { index += 1 }
            guard index < ranges.endIndex else {
                edges.append((domain - 1, DecisionDiagram.empty))
                break
            }
            let range = ranges[index]
            if range.lower >= blockUpper {
                // Out until the block where the next range starts.
                let next = (range.lower - base) / sub
                edges.append((next - 1, DecisionDiagram.empty))
                block = next
            } else if range.lower <= blockLower && range.upper >= blockUpper {
                // In until the block where this range ends.
                let end = (range.upper - base) / sub
                edges.append((end - 1, then))
                block = end
            } else {
                var last = index
                while last < ranges.endIndex && ranges[last].lower < blockUpper { last += 1 }
                let inside = ranges[index..<last].map { ValueRange(max($0.lower, blockLower), min($0.upper, blockUpper)) }
                edges.append((block, build(inside[...], level: level + 1, levels: levels - 1, base: blockLower, blockSize: sub, then: then)))
                block += 1
            }
        }
        return diagram.node(level: level, edges: edges)
    }

    /// The interface indices a rule's interface condition matches.
    public func interfaceIndices(_ match: InterfaceMatch) -> IntervalSet {
        IntervalSet(interfaces.indices.filter { match.matches(interfaces[$0]) }.map { ValueRange(UInt64($0), UInt64($0) + 1) })
    }

    public func index(ofInterface name: String) -> Int? { interfaces.firstIndex(of: name) }

    // MARK: Packets and values

    /// A packet of the set: the lowest interfaces, addresses, protocol and ports — but a host
    /// address rather than a network address, where the set allows one.
    public func witness(_ node: Node) -> Packet? {
        let lastBytes: Set<Int> = [HeaderField.source, .destination].map { firstLevel[$0.rawValue] + levelCount[$0.rawValue] - 1 }.reduce(into: []) { $0.insert($1) }
        return diagram.member(node) { level, lower, last in
            lastBytes.contains(level) && lower == 0 && last >= 1 ? 1 : lower
        }.map(packet)
    }

    public func contains(_ node: Node, _ packet: Packet) -> Bool {
        guard let values = values(packet) else { return false }
        return diagram.contains(node, values)
    }

    func packet(_ values: [UInt64]) -> Packet {
        func value(_ field: HeaderField) -> UInt64 {
            (0..<levelCount[field.rawValue]).reduce(UInt64(0)) { $0 << UInt64(Self.digitBits) | values[firstLevel[field.rawValue] + $1] }
        }
        let input = Int(value(.inInterface)), output = Int(value(.outInterface))
        return Packet(inInterface: input < interfaces.count ? interfaces[input] : "?", outInterface: output < interfaces.count ? interfaces[output] : "?",
                      source: value(.source), destination: value(.destination), proto: value(.proto),
                      destinationPort: value(.destinationPort), sourcePort: value(.sourcePort))
    }

    /// The packet as one value per level, or nil when an interface is not one of the space's.
    public func values(_ packet: Packet) -> [UInt64]? {
        guard let input = index(ofInterface: packet.inInterface), let output = index(ofInterface: packet.outInterface) else { return nil }
        var values = Array(repeating: UInt64(0), count: diagram.domains.count)
        for field in order {
            let value: UInt64
            switch field {
            case .inInterface: value = UInt64(input)
            case .outInterface: value = UInt64(output)
            case .proto: value = packet.proto
            case .destinationPort: value = packet.destinationPort
            case .destination: value = packet.destination
            case .source: value = packet.source
            case .sourcePort: value = packet.sourcePort
            }
            let count = levelCount[field.rawValue]
            let mask = UInt64(1) << UInt64(Self.digitBits) - 1
            for i in 0..<count { values[firstLevel[field.rawValue] + i] = value >> UInt64(Self.digitBits * (count - 1 - i)) & mask }
            if count == 1 { values[firstLevel[field.rawValue]] = value }
        }
        return values
    }
}
