#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A reduced, ordered binary decision diagram over the bits of a packet header: the exact set
/// representation behind the analysis. Equal sets are the same node (hash-consing), so emptiness
/// is a comparison and operations on a narrow rule touch only the nodes along its paths — which is
/// what keeps first-match evaluation of 100,000 rules close to linear, where unions of boxes split
/// into ever more pieces.
///
/// Not thread-safe: one diagram belongs to one analysis at a time.
public final class DecisionDiagram {
    public typealias Node = Int32

    public static let empty: Node = 0
    public static let all: Node = 1

    public let variableCount: Int32
    // Node i tests `variables[i]`, with children `lows[i]` (bit 0) and `highs[i]` (bit 1). Raw
    // buffers: this is the innermost loop of every check, and bounds and exclusivity checks on
    // class-owned arrays cost more than the work itself.
    private var variables: UnsafeMutablePointer<Int32>
    private var lows: UnsafeMutablePointer<Int32>
    private var highs: UnsafeMutablePointer<Int32>
    private var count = 0
    private var capacity: Int
    // Open addressing on the packed key (variable, low, high), so that a probe touches one slot.
    private var uniqueKeys: UnsafeMutablePointer<UInt64>
    private var uniqueNodes: UnsafeMutablePointer<Int32>
    private var uniqueMask: Int
    // A lossy memo of recent operations: (operation, a, b) → result.
    private var cacheKeys: UnsafeMutablePointer<UInt64>
    private var cacheValues: UnsafeMutablePointer<Int32>
    private var ternaryAccumulators: UnsafeMutablePointer<Int32>
    private var cacheMask: Int

    /// Zeroed memory from calloc: large tables come as untouched pages instead of being written twice.
    private static func zeroed<T>(_ count: Int, _: T.Type) -> UnsafeMutablePointer<T> {
        guard let raw = calloc(count, MemoryLayout<T>.stride) else { fatalError("out of memory for a decision diagram of \(count) entries") }
        return raw.bindMemory(to: T.self, capacity: count)
    }

    /// Node ids fit in 28 bits so that a node's key packs into 64.
    static let maximumNodes = 1 << 28

    public init(variableCount: Int, capacity: Int = 1 << 12) {
        self.variableCount = Int32(variableCount)
        let size = max(1 << 10, capacity.nextPowerOfTwo)
        self.capacity = size
        variables = .allocate(capacity: size)
        lows = .allocate(capacity: size)
        highs = .allocate(capacity: size)
        let tableSize = size * 2
        // Key 0 marks a free slot: no node tests variable 0 with two empty children, no operation is 0.
        uniqueKeys = Self.zeroed(tableSize, UInt64.self)
        uniqueNodes = Self.zeroed(tableSize, Int32.self)
        uniqueMask = tableSize - 1
        cacheKeys = Self.zeroed(tableSize, UInt64.self)
        cacheValues = Self.zeroed(tableSize, Int32.self)
        ternaryAccumulators = Self.zeroed(tableSize, Int32.self)
        cacheMask = tableSize - 1
        // The two terminals test a variable past the last one.
        for _ in 0..<2 { append(self.variableCount, 0, 0) }
    }

    deinit {
        variables.deallocate()
        lows.deallocate()
        highs.deallocate()
        free(uniqueKeys)
        free(uniqueNodes)
        free(cacheKeys)
        free(cacheValues)
        free(ternaryAccumulators)
    }

    public var nodeCount: Int { count }

    @inline(__always)
    private func append(_ v: Int32, _ l: Int32, _ h: Int32) {
        if count == capacity { growNodes() }
        variables[count] = v
        lows[count] = l
        highs[count] = h
        count += 1
    }

    private func growNodes() {
        precondition(capacity < Self.maximumNodes, "the decision diagram outgrew \(Self.maximumNodes) nodes")
        let size = capacity * 2
        for buffer in [\DecisionDiagram.variables, \DecisionDiagram.lows, \DecisionDiagram.highs] {
            let grown = UnsafeMutablePointer<Int32>.allocate(capacity: size)
            grown.update(from: self[keyPath: buffer], count: count)
            self[keyPath: buffer].deallocate()
            self[keyPath: buffer] = grown
        }
        capacity = size
    }

    @inline(__always)
    private static func key(_ v: Int32, _ l: Int32, _ h: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: v)) << 56 | UInt64(UInt32(bitPattern: l)) << 28 | UInt64(UInt32(bitPattern: h))
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// The node testing `variable` with the two given children (reduced: equal children collapse).
    public func node(_ v: Int32, low l: Node, high h: Node) -> Node {
        if l == h { return l }
        let key = Self.key(v, l, h)
        var slot = Self.slot(key, uniqueMask)
        while true {
            let found = uniqueKeys[slot]
            if found == key { return uniqueNodes[slot] }
            if found == 0 { break }
            slot = (slot + 1) & uniqueMask
        }
        let created = Int32(count)
        append(v, l, h)
        uniqueKeys[slot] = key
        uniqueNodes[slot] = created
        // Grow at a load of 3/4: open addressing with a good hash stays short at that load.
        if count * 4 > uniqueMask * 3 { growTables() }
        return created
    }

    private func growTables() {
        let size = (uniqueMask + 1) * 2
        free(uniqueKeys)
        free(uniqueNodes)
        uniqueKeys = Self.zeroed(size, UInt64.self)
        uniqueNodes = Self.zeroed(size, Int32.self)
        uniqueMask = size - 1
        for n in 2..<count {
            let key = Self.key(variables[n], lows[n], highs[n])
            var slot = Self.slot(key, uniqueMask)
            while uniqueKeys[slot] != 0 { slot = (slot + 1) & uniqueMask }
            uniqueKeys[slot] = key
            uniqueNodes[slot] = Int32(n)
        }
        // The memo grows with the diagram, up to 16 M entries.
        if cacheMask + 1 < min(size, 1 << 24) {
            free(cacheKeys)
            free(cacheValues)
            free(ternaryAccumulators)
            cacheKeys = Self.zeroed(size, UInt64.self)
            cacheValues = Self.zeroed(size, Int32.self)
            ternaryAccumulators = Self.zeroed(size, Int32.self)
            cacheMask = size - 1
        }
    }

    public func variable(of n: Node) -> Int32 { variables[Int(n)] }
    public func low(of n: Node) -> Node { lows[Int(n)] }
    public func high(of n: Node) -> Node { highs[Int(n)] }

    // MARK: Set operations

    private enum Operation: UInt64 { case and = 1, or = 2, difference = 3 }

    public func intersection(_ a: Node, _ b: Node) -> Node { apply(.and, a, b) }
    public func union(_ a: Node, _ b: Node) -> Node { apply(.or, a, b) }
    /// `a` without `b`.
    public func subtracting(_ a: Node, _ b: Node) -> Node { apply(.difference, a, b) }
    public func complement(_ a: Node) -> Node { apply(.difference, Self.all, a) }

    public func union<S: Sequence>(_ nodes: S) -> Node where S.Element == Node {
        nodes.reduce(Self.empty) { union($0, $1) }
    }

    /// Whether `a` is a subset of `b`.
    public func isSubset(_ a: Node, of b: Node) -> Bool { subtracting(a, b) == Self.empty }

    /// Whether `a` and `b` share a packet, without building their intersection.
    public func intersects(_ a: Node, _ b: Node) -> Bool {
        if a == Self.empty || b == Self.empty { return false }
        if a == Self.all || b == Self.all || a == b { return true }
        let (x, y) = a > b ? (b, a) : (a, b)
        let key = UInt64(4) << 60 | UInt64(UInt32(bitPattern: x)) << 30 | UInt64(UInt32(bitPattern: y))
        let slot = Self.slot(key, cacheMask)
        // Only "disjoint" is remembered: a shared packet ends the search at once anyway.
        if cacheKeys[slot] == key { return false }
        let vx = variables[Int(x)], vy = variables[Int(y)]
        let top = min(vx, vy)
        let (xl, xh) = vx == top ? (lows[Int(x)], highs[Int(x)]) : (x, x)
        let (yl, yh) = vy == top ? (lows[Int(y)], highs[Int(y)]) : (y, y)
        if intersects(xl, yl) || intersects(xh, yh) { return true }
        cacheKeys[slot] = key
        cacheValues[slot] = Self.empty
        return false
    }

    /// `accumulated ∪ (a ∩ b)` in one pass, without building `a ∩ b`.
    public func union(_ accumulated: Node, intersectionOf a: Node, _ b: Node) -> Node {
        if a == Self.empty || b == Self.empty { return accumulated }
        if accumulated == Self.all { return Self.all }
        if a == Self.all { return union(accumulated, b) }
        if b == Self.all || a == b { return union(accumulated, a) }
        if accumulated == Self.empty { return intersection(a, b) }
        let (x, y) = a > b ? (b, a) : (a, b)
        // Three operands: a second probe key holds the accumulator.
        let key = UInt64(5) << 60 | UInt64(UInt32(bitPattern: x)) << 30 | UInt64(UInt32(bitPattern: y))
        let slot = Self.slot(key ^ UInt64(UInt32(bitPattern: accumulated)) &* 0xD6E8_FEB8_6659_FD93, cacheMask)
        if cacheKeys[slot] == key && ternaryAccumulators[slot] == accumulated { return cacheValues[slot] }
        let vc = variables[Int(accumulated)], vx = variables[Int(x)], vy = variables[Int(y)]
        let top = min(vc, vx, vy)
        let (cl, ch) = vc == top ? (lows[Int(accumulated)], highs[Int(accumulated)]) : (accumulated, accumulated)
        let (xl, xh) = vx == top ? (lows[Int(x)], highs[Int(x)]) : (x, x)
        let (yl, yh) = vy == top ? (lows[Int(y)], highs[Int(y)]) : (y, y)
        let result = node(top, low: union(cl, intersectionOf: xl, yl), high: union(ch, intersectionOf: xh, yh))
        cacheKeys[slot] = key
        ternaryAccumulators[slot] = accumulated
        cacheValues[slot] = result
        return result
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
        }
        // Commutative operations are cached in one order.
        let (x, y) = operation != .difference && a > b ? (b, a) : (a, b)
        let key = operation.rawValue << 60 | UInt64(UInt32(bitPattern: x)) << 30 | UInt64(UInt32(bitPattern: y))
        let slot = Self.slot(key, cacheMask)
        if cacheKeys[slot] == key { return cacheValues[slot] }
        let va = variables[Int(x)], vb = variables[Int(y)]
        let top = min(va, vb)
        let (xl, xh) = va == top ? (lows[Int(x)], highs[Int(x)]) : (x, x)
        let (yl, yh) = vb == top ? (lows[Int(y)], highs[Int(y)]) : (y, y)
        let result = node(top, low: apply(operation, xl, yl), high: apply(operation, xh, yh))
        cacheKeys[slot] = key
        cacheValues[slot] = result
        return result
    }

    // MARK: Building sets of values

    /// The set "the `width` bits starting at variable `offset` (most significant first) hold a
    /// value in `values`", continuing with `then` for the variables after them.
    public func field(offset: Int, width: Int, values: IntervalSet, then: Node) -> Node {
        if values.isEmpty || then == Self.empty { return Self.empty }
        return build(values.ranges[...], variable: Int32(offset), bits: width, base: 0, then: then)
    }

    /// The values `base ..< base + 2^bits` are still undecided; `variable` tests the next bit.
    private func build(_ ranges: ArraySlice<ValueRange>, variable v: Int32, bits: Int, base: UInt64, then: Node) -> Node {
        let upper = base + (1 << UInt64(bits))
        var first = ranges.startIndex
        while first < ranges.endIndex && ranges[first].upper <= base { first += 1 }
        var last = first
        while last < ranges.endIndex && ranges[last].lower < upper { last += 1 }
        if first == last { return Self.empty }
        if ranges[first].lower <= base && ranges[first].upper >= upper { return then }
        let relevant = ranges[first..<last]
        let half = UInt64(1) << UInt64(bits - 1)
        let l = build(relevant, variable: v + 1, bits: bits - 1, base: base, then: then)
        let h = build(relevant, variable: v + 1, bits: bits - 1, base: base + half, then: then)
        return node(v, low: l, high: h)
    }

    // MARK: Reading sets

    /// The smallest assignment in the set (every free bit 0), or nil for the empty set.
    public func smallest(_ n: Node) -> [Bool]? {
        if n == Self.empty { return nil }
        var bits = Array(repeating: false, count: Int(variableCount))
        var current = n
        while current != Self.all {
            let v = variables[Int(current)]
            if lows[Int(current)] != Self.empty {
                current = lows[Int(current)]
            } else {
                bits[Int(v)] = true
                current = highs[Int(current)]
            }
        }
        return bits
    }

    /// Whether a complete assignment lies in the set.
    public func contains(_ n: Node, _ bits: [Bool]) -> Bool {
        var current = n
        while current > Self.all {
            current = bits[Int(variables[Int(current)])] ? highs[Int(current)] : lows[Int(current)]
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
