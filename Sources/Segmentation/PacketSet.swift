/// The header fields csirt reasons about, in a fixed order.
public enum Field: Int, CaseIterable, Sendable {
    case source, destination, proto, destinationPort, sourcePort
}

/// The values each field can take: the whole IPv4 space, protocols 0–255, ports 0–65535 (smaller
/// universes make the brute-force property test possible).
public struct Universe: Sendable, Equatable {
    public var bounds: [ValueRange]

    public init(source: ValueRange, destination: ValueRange, proto: ValueRange, destinationPort: ValueRange, sourcePort: ValueRange) {
        bounds = [source, destination, proto, destinationPort, sourcePort]
    }

    public static let ipv4 = Universe(source: IPv4.all, destination: IPv4.all, proto: ValueRange(0, 256),
                                      destinationPort: ValueRange(0, 65_536), sourcePort: ValueRange(0, 65_536))

    public subscript(field: Field) -> ValueRange { bounds[field.rawValue] }
}

/// A product of one interval set per field: every packet whose fields all lie in their sets.
public struct Cube: Sendable, Hashable {
    public var fields: [IntervalSet]

    public init(_ fields: [IntervalSet]) {
        self.fields = fields
    }

    public init(universe: Universe) {
        fields = universe.bounds.map { IntervalSet($0) }
    }

    public var isEmpty: Bool { fields.contains { $0.isEmpty } }

    public func intersection(_ other: Cube) -> Cube? {
        var result = fields
        for i in result.indices {
            result[i] = fields[i].intersection(other.fields[i])
            if result[i].isEmpty { return nil }
        }
        return Cube(result)
    }

    /// `self − other` as disjoint cubes (at most one per field).
    public func subtracting(_ other: Cube) -> [Cube] {
        guard intersection(other) != nil else { return [self] }
        var pieces: [Cube] = []
        var inside = fields
        for i in fields.indices {
            let outside = inside[i].subtracting(other.fields[i])
            if !outside.isEmpty {
                var piece = inside
                piece[i] = outside
                pieces.append(Cube(piece))
            }
            inside[i] = inside[i].intersection(other.fields[i])
        }
        return pieces
    }

    /// The lowest packet in the cube.
    public var witness: [UInt64] { fields.map { $0.first! } }

    public func contains(_ packet: [UInt64]) -> Bool {
        zip(fields, packet).allSatisfy { $0.contains($1) }
    }
}

/// A set of packets as disjoint cubes. Exact: no sampling, no approximation.
public struct PacketSet: Sendable, Equatable {
    public private(set) var cubes: [Cube]

    public init(_ cubes: [Cube] = []) {
        self.cubes = cubes.filter { !$0.isEmpty }
    }

    public static let empty = PacketSet()

    public var isEmpty: Bool { cubes.isEmpty }

    public func intersection(_ cube: Cube) -> PacketSet {
        PacketSet(cubes.compactMap { $0.intersection(cube) })
    }

    public func intersection(_ other: PacketSet) -> PacketSet {
        PacketSet(other.cubes.flatMap { cube in cubes.compactMap { $0.intersection(cube) } })
    }

    public func subtracting(_ cube: Cube) -> PacketSet {
        PacketSet(cubes.flatMap { $0.subtracting(cube) })
    }

    public func subtracting(_ other: PacketSet) -> PacketSet {
        other.cubes.reduce(self) { $0.subtracting($1) }
    }

    /// Union of two disjoint sets (the evaluator only ever joins disjoint parts).
    public func disjointUnion(_ other: PacketSet) -> PacketSet {
        PacketSet(cubes + other.cubes)
    }

    public func contains(_ packet: [UInt64]) -> Bool {
        cubes.contains { $0.contains(packet) }
    }

    public var witness: [UInt64]? { cubes.first?.witness }
}
