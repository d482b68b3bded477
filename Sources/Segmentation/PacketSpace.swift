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
/// fields, held as a decision diagram whose variables are the fields' bits, most significant first.
public final class PacketSpace {
    public typealias Node = DecisionDiagram.Node

    public let diagram: DecisionDiagram
    public let interfaces: [String]
    private let offsets: [Int]
    private let widths: [Int]

    /// The fields in the order of the diagram's variables.
    public let order: [HeaderField]

    /// `expectedNodes` sizes the diagram up front (growing it means rehashing every node).
    /// `order` must list every field once, the two interfaces first.
    public init(interfaces: [String], expectedNodes: Int = 1 << 12, order: [HeaderField] = HeaderField.allCases) {
        precondition(Set(order) == Set(HeaderField.allCases) && order.count == HeaderField.allCases.count, "order must list every field once")
        self.interfaces = interfaces
        self.order = order
        var interfaceBits = 1
        while (1 << interfaceBits) < interfaces.count { interfaceBits += 1 }
        widths = [interfaceBits, interfaceBits, 32, 32, 8, 16, 16]
        var offsets = Array(repeating: 0, count: HeaderField.allCases.count)
        var next = 0
        for field in order {
            offsets[field.rawValue] = next
            next += widths[field.rawValue]
        }
        self.offsets = offsets
        diagram = DecisionDiagram(variableCount: next, capacity: min(expectedNodes, 1 << 26))
    }

    public func width(of field: HeaderField) -> Int { widths[field.rawValue] }
    public func offset(of field: HeaderField) -> Int { offsets[field.rawValue] }

    /// Every value a field can hold.
    public func domain(of field: HeaderField) -> IntervalSet {
        IntervalSet(ValueRange(0, 1 << UInt64(widths[field.rawValue])))
    }

    /// Every packet on the firewall's real interfaces.
    public var everything: Node {
        let real = IntervalSet(ValueRange(0, UInt64(interfaces.count)))
        return box([.inInterface: real, .outInterface: real])
    }

    /// The packets whose fields all lie in the given sets (fields not named are free).
    public func box(_ conditions: [HeaderField: IntervalSet]) -> Node {
        var node = DecisionDiagram.all
        for field in order.reversed() {
            guard let values = conditions[field] else { continue }
            node = diagram.field(offset: offsets[field.rawValue], width: widths[field.rawValue], values: values, then: node)
        }
        return node
    }

    /// The interface indices a rule's interface condition matches.
    public func interfaceIndices(_ match: InterfaceMatch) -> IntervalSet {
        IntervalSet(interfaces.indices.filter { match.matches(interfaces[$0]) }.map { ValueRange(UInt64($0), UInt64($0) + 1) })
    }

    public func index(ofInterface name: String) -> Int? { interfaces.firstIndex(of: name) }

    // MARK: Packets and bits

    /// The smallest packet in the set: lowest interfaces, addresses, protocol and ports.
    public func witness(_ node: Node) -> Packet? {
        diagram.smallest(node).map(packet)
    }

    public func contains(_ node: Node, _ packet: Packet) -> Bool {
        guard let bits = bits(packet) else { return false }
        return diagram.contains(node, bits)
    }

    func packet(_ bits: [Bool]) -> Packet {
        func value(_ field: HeaderField) -> UInt64 {
            var result: UInt64 = 0
            for i in 0..<widths[field.rawValue] { result = result << 1 | (bits[offsets[field.rawValue] + i] ? 1 : 0) }
            return result
        }
        let input = Int(value(.inInterface)), output = Int(value(.outInterface))
        return Packet(inInterface: input < interfaces.count ? interfaces[input] : "?", outInterface: output < interfaces.count ? interfaces[output] : "?",
                      source: value(.source), destination: value(.destination), proto: value(.proto),
                      destinationPort: value(.destinationPort), sourcePort: value(.sourcePort))
    }

    public func bits(_ packet: Packet) -> [Bool]? {
        guard let input = index(ofInterface: packet.inInterface), let output = index(ofInterface: packet.outInterface) else { return nil }
        var bits = Array(repeating: false, count: Int(diagram.variableCount))
        let values: [UInt64] = [UInt64(input), UInt64(output), packet.source, packet.destination, packet.proto, packet.destinationPort, packet.sourcePort]
        for field in HeaderField.allCases {
            let width = widths[field.rawValue]
            for i in 0..<width { bits[offsets[field.rawValue] + i] = values[field.rawValue] >> UInt64(width - 1 - i) & 1 == 1 }
        }
        return bits
    }
}

extension PacketSpace {
    /// Packets whose address field's last octet lies in `range` (to prefer host addresses over
    /// network and broadcast addresses in witnesses).
    public func lowOctet(of field: HeaderField, in range: ValueRange) -> Node {
        diagram.field(offset: offset(of: field) + width(of: field) - 8, width: 8, values: IntervalSet(range), then: DecisionDiagram.all)
    }
}
