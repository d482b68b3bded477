#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A reduced, ordered interval decision diagram: the exact set representation behind the
/// analysis. Each level is one header field; a node splits its field's whole domain into
/// consecutive intervals, each leading to a child. Equal sets are the same node (hash-consing),
/// so emptiness is a comparison, and an operation with a narrow rule touches only the nodes on its
/// few paths — one node per field, where a bitwise diagram needs one per bit.
///
/// Not thread-safe: one diagram belongs to one analysis at a time.
public final class DecisionDiagram {
    public typealias Node = Int32

    public static let empty: Node = 0
    public static let all: Node = 1

    /// The number of levels (fields); terminals sit at this level.
    public let levelCount: Int32
    /// Each level's domain is `0 ..< domains[level]`.
    public let domains: [UInt64]

    // Node i is at `levels[i]`; its edges are `edgeStarts[i] ..< edgeStarts[i] + edgeCounts[i]`
    // in the pool: edge e covers values up to and including `edgeLast[e]` (from the previous
    // edge's last + 1) and leads to `edgeChild[e]`. Raw buffers: this is the innermost loop of
    // every check.
    private var levels: UnsafeMutablePointer<Int32>
    private var edgeStarts: UnsafeMutablePointer<Int32>
    private var edgeCounts: UnsafeMutablePointer<Int32>
    private var count = 0
    private var capacity: Int
    private var edgeLast: UnsafeMutablePointer<UInt32>
    private var edgeChild: UnsafeMutablePointer<Int32>
    private var edgeCount = 0
    private var edgeCapacity: Int
    // Open addressing on a hash of (level, edges); 0 marks a free slot (node 0 is a terminal).
    private struct UniqueEntry {
        var hash: UInt64
        var node: Int32
    }
    // Hash and node side by side: a probe touches one cache line.
    private var unique: UnsafeMutablePointer<UniqueEntry>
    private var uniqueMask: Int
    // A lossy memo of recent operations: (operation, a, b) → result.
    private var cacheKeys: UnsafeMutablePointer<UInt64>
    private var cacheValues: UnsafeMutablePointer<Int32>
    private var cacheMask: Int
    // Scratch space for building one node's edges (operations recurse, so it is a stack).
    // Raw buffers with a top index: no uniqueness or bounds checks on the hottest path.
    private var scratchLast: UnsafeMutablePointer<UInt32> = .allocate(capacity: 1 << 12)
    private var scratchChild: UnsafeMutablePointer<Int32> = .allocate(capacity: 1 << 12)
    private var scratchTop = 0
    private var scratchCapacity = 1 << 12

    private func growScratch() {
        scratchCapacity *= 2
        scratchLast = Self.moved(scratchLast, count: scratchTop, capacity: scratchCapacity)
        scratchChild = Self.moved(scratchChild, count: scratchTop, capacity: scratchCapacity)
    }

    /// A larger buffer holding the first `count` elements of `buffer`, which is freed.
    private static func moved<T>(_ buffer: UnsafeMutablePointer<T>, count: Int, capacity: Int) -> UnsafeMutablePointer<T> {
        let grown = UnsafeMutablePointer<T>.allocate(capacity: capacity)
        grown.moveInitialize(from: buffer, count: count)
        buffer.deallocate()
        return grown
    }

    private static func zeroed<T>(_ count: Int, _: T.Type) -> UnsafeMutablePointer<T> {
        guard let raw = calloc(count, MemoryLayout<T>.stride) else { fatalError("out of memory for a decision diagram of \(count) entries") }
        return raw.bindMemory(to: T.self, capacity: count)
    }

    /// Node ids fit in 28 bits so that an operation's key packs into 64.
    static let maximumNodes = 1 << 28

    /// `domains[level]` is the number of values of that level's field (at most 2^32).
    public init(domains: [UInt64], capacity: Int = 1 << 12) {
        precondition(domains.allSatisfy { $0 >= 1 && $0 <= 1 << 32 })
        self.domains = domains
        levelCount = Int32(domains.count)
        let size = max(1 << 10, capacity.nextPowerOfTwo)
        self.capacity = size
        levels = .allocate(capacity: size)
        edgeStarts = .allocate(capacity: size)
        edgeCounts = .allocate(capacity: size)
        edgeCapacity = size * 4
        edgeLast = .allocate(capacity: edgeCapacity)
        edgeChild = .allocate(capacity: edgeCapacity)
        let tableSize = size * 2
        unique = Self.zeroed(tableSize, UniqueEntry.self)
        uniqueMask = tableSize - 1
        cacheKeys = Self.zeroed(tableSize, UInt64.self)
        cacheValues = Self.zeroed(tableSize, Int32.self)
        cacheMask = tableSize - 1
        // The two terminals.
        for _ in 0..<2 {
            levels[count] = levelCount
            edgeStarts[count] = 0
            edgeCounts[count] = 0
            count += 1
        }
    }

    deinit {
        levels.deallocate()
        edgeStarts.deallocate()
        edgeCounts.deallocate()
        edgeLast.deallocate()
        edgeChild.deallocate()
        free(unique)
        free(cacheKeys)
        free(cacheValues)
        scratchLast.deallocate()
        scratchChild.deallocate()
    }


    // MARK: Making nodes

    /// The node at `level` for the edges in scratch space from `base` on (consecutive equal
    /// children already merged by the caller); pops them.
    private func makeNode(_ level: Int32, scratchFrom base: Int) -> Node {
        let k = scratchTop - base
        defer { scratchTop = base }
        // One edge over the whole domain: the level does not matter here.
        if k == 1 { return scratchChild[base] }
        var hash = UInt64(UInt32(bitPattern: level)) &* 0x9E37_79B9_7F4A_7C15
        for i in base..<scratchTop {
            hash = (hash ^ UInt64(scratchLast[i])) &* 0x1000_0000_01B3
            hash = (hash ^ UInt64(UInt32(bitPattern: scratchChild[i]))) &* 0xC2B2_AE3D_27D4_EB4F
        }
        hash ^= hash >> 29
        if hash == 0 { hash = 1 }
        var slot = Int(truncatingIfNeeded: hash) & uniqueMask
        while true {
            let entry = unique[slot]
            let candidate = entry.node
            if candidate == 0 { break }
            if entry.hash == hash && levels[Int(candidate)] == level && Int(edgeCounts[Int(candidate)]) == k {
                let start = Int(edgeStarts[Int(candidate)])
                var same = true
                for i in 0..<k where edgeLast[start + i] != scratchLast[base + i] || edgeChild[start + i] != scratchChild[base + i] {
                    same = false
                    break
                }
                if same { return candidate }
            }
            slot = (slot + 1) & uniqueMask
        }
        if count == capacity { growNodes() }
        precondition(count < Self.maximumNodes, "the decision diagram outgrew \(Self.maximumNodes) nodes")
        while edgeCount + k > edgeCapacity { growEdges() }
        let created = Int32(count)
        levels[count] = level
        edgeStarts[count] = Int32(edgeCount)
        edgeCounts[count] = Int32(k)
        for i in 0..<k {
            edgeLast[edgeCount + i] = scratchLast[base + i]
            edgeChild[edgeCount + i] = scratchChild[base + i]
        }
        edgeCount += k
        count += 1
        unique[slot] = UniqueEntry(hash: hash, node: created)
        if count * 4 > uniqueMask * 3 { growTables() }
        return created
    }

    /// Appends an edge to scratch space, merging it with the previous one when they lead to the same child.
    @inline(__always)
    private func push(_ last: UInt32, _ child: Node, base: Int) {
        if scratchTop > base && scratchChild[scratchTop - 1] == child {
            scratchLast[scratchTop - 1] = last
        } else {
            if scratchTop == scratchCapacity { growScratch() }
            scratchLast[scratchTop] = last
            scratchChild[scratchTop] = child
            scratchTop += 1
        }
    }

    private func growNodes() {
        capacity *= 2
        levels = Self.moved(levels, count: count, capacity: capacity)
        edgeStarts = Self.moved(edgeStarts, count: count, capacity: capacity)
        edgeCounts = Self.moved(edgeCounts, count: count, capacity: capacity)
    }

    private func growEdges() {
        edgeCapacity *= 2
        edgeLast = Self.moved(edgeLast, count: edgeCount, capacity: edgeCapacity)
        edgeChild = Self.moved(edgeChild, count: edgeCount, capacity: edgeCapacity)
    }

    private func growTables() {
        let size = (uniqueMask + 1) * 2
        let old = unique, oldSize = uniqueMask + 1
        unique = Self.zeroed(size, UniqueEntry.self)
        uniqueMask = size - 1
        for slot in 0..<oldSize where old[slot].node != 0 {
            var target = Int(truncatingIfNeeded: old[slot].hash) & uniqueMask
            while unique[target].node != 0 { target = (target + 1) & uniqueMask }
            unique[target] = old[slot]
        }
        free(old)
        // The memo grows with the diagram, up to 16 M entries.
        if cacheMask + 1 < min(size, 1 << 24) {
            free(cacheKeys)
            free(cacheValues)
            cacheKeys = Self.zeroed(size, UInt64.self)
            cacheValues = Self.zeroed(size, Int32.self)
            cacheMask = size - 1
        }
    }

    // MARK: Set operations

    private enum Operation: UInt64 { case and = 1, or = 2, difference = 3, intersects = 4 }

    public func intersection(_ a: Node, _ b: Node) -> Node { apply(.and, a, b) }
    public func union(_ a: Node, _ b: Node) -> Node { apply(.or, a, b) }
    /// `a` without `b`.
    public func subtracting(_ a: Node, _ b: Node) -> Node { apply(.difference, a, b) }

    public func union<S: Sequence>(_ nodes: S) -> Node where S.Element == Node {
        nodes.reduce(Self.empty) { union($0, $1) }
    }

    /// `accumulated ∪ (a ∩ b)`.
    public func union(_ accumulated: Node, intersectionOf a: Node, _ b: Node) -> Node {
        union(accumulated, intersection(a, b))
    }

    /// Whether `a` is a subset of `b`.
    public func isSubset(_ a: Node, of b: Node) -> Bool { subtracting(a, b) == Self.empty }

    @inline(__always)
    private func cacheSlot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & cacheMask
    }

    /// The edges of `n` as seen from `level`: its own if it sits there, else one edge over the domain.
    @inline(__always)
    private func edges(_ n: Node, at level: Int32) -> (start: Int, count: Int, whole: Bool) {
        levels[Int(n)] == level ? (Int(edgeStarts[Int(n)]), Int(edgeCounts[Int(n)]), false) : (0, 1, true)
    }

    private func apply(_ operation: Operation, _ a: Node, _ b: Node) -> Node {
        switch operation {
        case .and:
            if a == Self.empty || b == Self.empty { return Self.empty }
            if a == Self.all { return b }
            if b == Self.all || a == b { return a }
        case .or:
            if a == Self.all || b == Self.all { return Self.all }
            if a == Self.empty { return b }
            if b == Self.empty || a == b { return a }
        case .difference:
            if a == Self.empty || b == Self.all || a == b { return Self.empty }
            if b == Self.empty { return a }
        case .intersects:
            if a == Self.empty || b == Self.empty { return Self.empty }
            if a == Self.all || b == Self.all || a == b { return Self.all }
        }
        // Commutative operations are cached in one order.
        let (x, y) = operation != .difference && a > b ? (b, a) : (a, b)
        let key = operation.rawValue << 60 | UInt64(UInt32(bitPattern: x)) << 30 | UInt64(UInt32(bitPattern: y))
        let slot = cacheSlot(key)
        if cacheKeys[slot] == key { return cacheValues[slot] }
        let level = min(levels[Int(x)], levels[Int(y)])
        let ex = edges(x, at: level), ey = edges(y, at: level)
        let last = UInt32(truncatingIfNeeded: domains[Int(level)] - 1)
        let base = scratchTop
        var i = 0, j = 0
        var result = Self.empty
        // Walk both edge lists together, one elementary interval at a time.
        while true {
            let lastX = ex.whole ? last : edgeLast[ex.start + i]
            let lastY = ey.whole ? last : edgeLast[ey.start + j]
            let childX = ex.whole ? x : edgeChild[ex.start + i]
            let childY = ey.whole ? y : edgeChild[ey.start + j]
            let child = apply(operation, childX, childY)
            let end = min(lastX, lastY)
            if operation == .intersects {
                if child != Self.empty {
                    result = Self.all
                    break
                }
            } else {
                push(end, child, base: base)
            }
            if end == last { break }
            if lastX == end { i += 1 }
            if lastY == end { j += 1 }
        }
        if operation != .intersects { result = makeNode(level, scratchFrom: base) }
        cacheKeys[slot] = key
        cacheValues[slot] = result
        return result
    }

    /// Whether `a` and `b` share a packet, without building their intersection.
    public func intersects(_ a: Node, _ b: Node) -> Bool {
        apply(.intersects, a, b) == Self.all
    }

    // MARK: Building sets of values

    /// The node at `level` whose consecutive edges end at `last` (inclusive, the final one at the
    /// domain's last value) and lead to `child`.
    public func node(level: Int, edges: [(last: UInt64, child: Node)]) -> Node {
        let base = scratchTop
        for edge in edges { push(UInt32(truncatingIfNeeded: edge.last), edge.child, base: base) }
        precondition(edges.last?.last == domains[level] - 1, "a node's edges must cover its level's domain")
        return makeNode(Int32(level), scratchFrom: base)
    }

    /// The set "the field at `level` holds a value in `values`", continuing with `then` for the
    /// levels below.
    public func field(level: Int, values: IntervalSet, then: Node) -> Node {
        if values.isEmpty || then == Self.empty { return Self.empty }
        let domain = domains[level]
        let base = scratchTop
        var next: UInt64 = 0
        for range in values.ranges {
            let lower = min(range.lower, domain), upper = min(range.upper, domain)
            guard lower < upper else { continue }
            if lower > next { push(UInt32(truncatingIfNeeded: lower - 1), Self.empty, base: base) }
            push(UInt32(truncatingIfNeeded: upper - 1), then, base: base)
            next = upper
        }
        if next < domain { push(UInt32(truncatingIfNeeded: domain - 1), Self.empty, base: base) }
        if scratchTop == base { return Self.empty }
        return makeNode(Int32(level), scratchFrom: base)
    }

    // MARK: Reading sets

    /// A value per level from the set, or nil for the empty set: at each level the first interval
    /// that leads somewhere, and in it the value `choose(level, lower, last)` picks (by default
    /// its lowest). Levels the path skips take `choose` over their whole domain.
    public func member(_ n: Node, choose: (Int, UInt64, UInt64) -> UInt64 = { _, lower, _ in lower }) -> [UInt64]? {
        if n == Self.empty { return nil }
        var values = Array(repeating: UInt64(0), count: Int(levelCount))
        var current = n
        for level in 0..<Int(levelCount) {
            guard levels[Int(current)] == Int32(level) else {
                values[level] = choose(level, 0, domains[level] - 1)
                continue
            }
            let start = Int(edgeStarts[Int(current)])
            var lower: UInt64 = 0
            for e in start..<(start + Int(edgeCounts[Int(current)])) {
                let last = UInt64(edgeLast[e])
                if edgeChild[e] != Self.empty {
                    values[level] = choose(level, lower, last)
                    current = edgeChild[e]
                    break
                }
                lower = last + 1
            }
        }
        return values
    }

    /// Whether a packet (one value per level) lies in the set.
    public func contains(_ n: Node, _ values: [UInt64]) -> Bool {
        var current = n
        while current > Self.all {
            let start = Int(edgeStarts[Int(current)]), k = Int(edgeCounts[Int(current)])
            let value = values[Int(levels[Int(current)])]
            // Binary search for the first edge whose last value is ≥ value.
            var low = 0, high = k - 1
            while low < high {
                let middle = (low + high) / 2
                if UInt64(edgeLast[start + middle]) < value { low = middle + 1 } else { high = middle }
            }
            current = edgeChild[start + low]
        }
        return current == Self.all
    }
}

extension Int {
    var nextPowerOfTwo: Int {
        var value = 1
        while value < self { value <<= 1 }
        return value
    }
}
