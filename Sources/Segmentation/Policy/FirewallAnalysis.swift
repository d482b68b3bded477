#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// One firewall of a site, evaluated exactly. The packets are split by input interface into one
/// partition per core, each with its own decision diagram, evaluated in parallel: a rule that
/// names its input interface (directly or through the chain that jumps to it) is evaluated in one
/// partition only; a rule that does not, in each. Together the partitions cover every packet once.
public final class FirewallAnalysis {
    public typealias Node = DecisionDiagram.Node

    public let reference: FirewallReference
    public let ruleset: Ruleset
    public let book: AddressBook
    public let partitions: [FirewallPartition]
    public let hasUnreadableRules: Bool

    /// The name that stands for every interface the site description does not map.
    public static let unmappedInterface = "(unmapped)"

    public init(reference: FirewallReference, ruleset: Ruleset, book: AddressBook, parallelism: Int? = nil) throws(RulesetError) {
        self.reference = reference
        self.ruleset = ruleset
        self.book = book
        let unreadable = ruleset.chains.values.contains { chain in
            chain.rules.contains { rule in
                if case .unknown = rule.action { return true }
                return !rule.match.unsupported.isEmpty
            }
        }
        hasUnreadableRules = unreadable
        // Plus one interface the description does not name, so that a final catch-all rule (for
        // traffic on interfaces nobody mapped) is not mistaken for a rule that can never match.
        let interfaces = reference.interfaces.keys.sorted() + [Self.unmappedInterface]
        let order = Self.variableOrder(for: ruleset)
        let count = max(1, min(parallelism ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), interfaces.count, 8))
        let rules = ruleset.chains.values.reduce(0) { $0 + $1.rules.count }
        // Each partition is built by one thread into its own slot.
        let slots = UnsafeMutableBufferPointer<Result<FirewallPartition, RulesetError>?>.allocate(capacity: count)
        slots.initialize(repeating: nil)
        defer {
            _ = slots.deinitialize()
            slots.deallocate()
        }
        let shared = PartitionSlots(slots)
        DispatchQueue.concurrentPerform(iterations: count) { index in
            let inputs = IntervalSet(interfaces.indices.filter { $0 % count == index }.map { ValueRange(UInt64($0), UInt64($0) + 1) })
            do {
                let partition = try FirewallPartition(reference: reference, ruleset: ruleset, book: book, interfaces: interfaces, inputs: inputs,
                                                      order: order, expectedNodes: rules * 32 / count, unreadable: unreadable)
                shared.slots[index] = .success(partition)
            } catch let error as RulesetError {
                shared.slots[index] = .failure(error)
            } catch {
                shared.slots[index] = .failure(RulesetError(location: reference.location, message: "\(error)"))
            }
        }
        var partitions: [FirewallPartition] = []
        for slot in slots {
            switch slot! {
            case .success(let partition): partitions.append(partition)
            case .failure(let error): throw error
            }
        }
        self.partitions = partitions
    }

    /// Chains forwarded traffic reaches, in any partition.
    public var visitedChains: Set<String> {
        partitions.reduce(into: Set<String>()) { $0.formUnion($1.known.visited) }
    }

    /// Which address comes first in the diagram. A rule that is broad in the first address and
    /// narrow in the second rebuilds every branch earlier rules made under its first address; most
    /// rules name a narrower destination than source ("these terminals → that server"), so then
    /// the destination goes first. Any order gives the same exact answer; this one keeps it fast.
    static func variableOrder(for ruleset: Ruleset) -> [HeaderField] {
        func size(_ match: FieldMatch?) -> UInt64 {
            guard let match else { return 1 << 32 }
            let covered = match.ranges.reduce(UInt64(0)) { $0 + ($1.upper > $1.lower ? $1.upper - $1.lower : 0) }
            return match.negated ? (1 << 32) - min(covered, 1 << 32) : covered
        }
        var narrowerDestination = 0, narrowerSource = 0
        for chain in ruleset.chains.values {
            for rule in chain.rules {
                let source = size(rule.match.source), destination = size(rule.match.destination)
                if destination < source { narrowerDestination += 1 } else if source < destination { narrowerSource += 1 }
            }
        }
        return narrowerDestination > narrowerSource
            ? [.inInterface, .outInterface, .destination, .source, .proto, .destinationPort, .sourcePort]
            : HeaderField.allCases
    }

}

/// Slots the threads that build partitions write to, each its own.
private final class PartitionSlots: @unchecked Sendable {
    let slots: UnsafeMutableBufferPointer<Result<FirewallPartition, RulesetError>?>
    init(_ slots: UnsafeMutableBufferPointer<Result<FirewallPartition, RulesetError>?>) { self.slots = slots }
}

/// The packets entering on some of a firewall's interfaces: their own diagram and evaluations.
public final class FirewallPartition: @unchecked Sendable {
    public typealias Node = DecisionDiagram.Node

    public let reference: FirewallReference
    public let ruleset: Ruleset
    public let book: AddressBook
    public let space: PacketSpace
    /// The input interfaces (indices into `space.interfaces`) this partition holds.
    public let inputs: IntervalSet
    /// Rules that cannot match forbidden traffic away: unreadable rules may accept.
    public let permissive: Evaluation
    /// Rules that cannot let required traffic through: unreadable rules may deny.
    public let restrictive: Evaluation
    /// Only what the readable rules decide (for rules that can never match).
    public let known: Evaluation

    init(reference: FirewallReference, ruleset: Ruleset, book: AddressBook, interfaces: [String], inputs: IntervalSet, order: [HeaderField],
         expectedNodes: Int, unreadable: Bool) throws(RulesetError) {
        self.reference = reference
        self.ruleset = ruleset
        self.book = book
        self.inputs = inputs
        space = PacketSpace(interfaces: interfaces, expectedNodes: expectedNodes, order: order)
        let mine = space.box([.inInterface: inputs])
        permissive = try RulesetEvaluator(ruleset: ruleset, space: space, reading: .permissive).evaluate(mine)
        // Without unreadable rules the three readings agree: evaluate once.
        if unreadable {
            restrictive = try RulesetEvaluator(ruleset: ruleset, space: space, reading: .restrictive).evaluate(mine)
            known = try RulesetEvaluator(ruleset: ruleset, space: space, reading: .known).evaluate(mine)
        } else {
            restrictive = permissive
            known = permissive
        }
    }

    /// New flows from `sources` to `destinations` that would cross this firewall: entering on an
    /// interface that leads to the source's area and leaving on one that leads to the destination's.
    public func routed(from sources: IntervalSet, to destinations: IntervalSet) -> Node {
        var result = DecisionDiagram.empty
        for (i, input) in space.interfaces.enumerated() where inputs.contains(UInt64(i)) {
            guard let inArea = reference.interfaces[input], let inAddresses = book.areas[inArea] else { continue }
            let from = inAddresses.intersection(sources)
            if from.isEmpty { continue }
            for (o, output) in space.interfaces.enumerated() {
                guard let outArea = reference.interfaces[output], let outAddresses = book.areas[outArea] else { continue }
                let to = outAddresses.intersection(destinations)
                if to.isEmpty { continue }
                let box = space.box([.inInterface: Self.single(i), .outInterface: Self.single(o), .source: from, .destination: to])
                result = space.diagram.union(result, box)
            }
        }
        return result
    }

    /// Packets of one service (protocol and destination ports).
    public func packets(of service: Service) -> Node {
        space.box([.proto: IntervalSet(ValueRange(service.proto, service.proto + 1)), .destinationPort: IntervalSet(service.ports)])
    }

    public func packets(of services: [Service]) -> Node {
        space.diagram.union(services.map { packets(of: $0) })
    }

    static func single(_ value: Int) -> IntervalSet { IntervalSet(ValueRange(UInt64(value), UInt64(value) + 1)) }

    /// A packet of the set that reads well in a report: a common service, an ephemeral source
    /// port, host addresses rather than network addresses — when the set has one.
    public func witness(_ set: Node) -> Packet? {
        let diagram = space.diagram
        var chosen = set
        let services: [Service] = ["tcp/443", "tcp/80", "tcp/445", "tcp/22", "tcp/1-65535", "udp/53", "udp/1-65535"].compactMap(Service.init)
        for service in services {
            let narrowed = diagram.intersection(chosen, packets(of: service))
            if narrowed != DecisionDiagram.empty {
                chosen = narrowed
                break
            }
        }
        // Declared hosts make the most concrete example.
        let hosts = IntervalSet(book.site.hosts.map { ValueRange($0.address, $0.address + 1) })
        let preferences = [
            space.box([.source: hosts]),
            space.box([.destination: hosts]),
            space.box([.sourcePort: IntervalSet(ValueRange(49_152, 65_536))]),
            space.box([.sourcePort: IntervalSet(ValueRange(1_024, 65_536))]),
        ]
        for preference in preferences {
            let narrowed = diagram.intersection(chosen, preference)
            if narrowed != DecisionDiagram.empty { chosen = narrowed }
        }
        return space.witness(chosen)
    }
}
