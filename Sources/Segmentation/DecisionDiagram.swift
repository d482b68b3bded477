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
    // Structure of arrays: node i tests `variable[i]`, with children `low[i]` (bit 0) and `high[i]`.
    private var variable: [Int32] = []
    private var low: [Int32] = []
    private var high: [Int32] = []
    // Open addressing; 0 marks a free slot (node 0 is a terminal and never stored here).
    private var unique: [Int32]
    private var uniqueMask: Int
    // A lossy memo of recent operations: (operation, a, b) → result.
    private var cacheKeys: [UInt64]
    private var cacheValues: [Int32]
    private var cacheMask: Int

    public init(variableCount: Int, capacity: Int = 1 << 10) {
        self.variableCount = Int32(variableCount)
        let size = max(1 << 10, capacity.nextPowerOfTwo)
        unique = Array(repeating: 0, count: size * 2)
        uniqueMask = size * 2 - 1
        let cacheSize = size * 4
        cacheKeys = Array(repeating: .max, count: cacheSize)
        cacheValues = Array(repeating: 0, count: cacheSize)
        cacheMask = cacheSize - 1
        variable.reserveCapacity(size)
        low.reserveCapacity(size)
        high.reserveCapacity(size)
        // The two terminals test a variable past the last one.
        for _ in 0..<2 {
            variable.append(self.variableCount)
            low.append(0)
            high.append(0)
        }
    }

    public var nodeCount: Int { variable.count }

    /// The node testing `variable` with the two given children (reduced: equal children collapse).
    public func node(_ v: Int32, low l: Node, high h: Node) -> Node {
        if l == h { return l }
        var slot = Self.hash(v, l, h) & uniqueMask
        while true {
            let candidate = unique[slot]
            if candidate == 0 { break }
            if variable[Int(candidate)] == v && low[Int(candidate)] == l && high[Int(candidate)] == h { return candidate }
            slot = (slot + 1) & uniqueMask
        }
        let created = Int32(variable.count)
        variable.append(v)
        low.append(l)
        high.append(h)
        unique[slot] = created
        if variable.count * 2 > unique.count { grow() }
        return created
    }

    private func grow() {
        let size = unique.count * 2
        // The memo grows with the diagram, up to 16 M entries.
        if cacheKeys.count < min(size * 2, 1 << 24) {
            cacheKeys = Array(repeating: .max, count: size * 2)
            cacheValues = Array(repeating: 0, count: size * 2)
            cacheMask = size * 2 - 1
        }
        unique = Array(repeating: 0, count: size)
        uniqueMask = size - 1
        for n in 2..<variable.count {
            var slot = Self.hash(variable[n], low[n], high[n]) & uniqueMask
            while unique[slot] != 0 { slot = (slot + 1) & uniqueMask }
            unique[slot] = Int32(n)
        }
    }

    @inline(__always)
    private static func hash(_ a: Int32, _ b: Int32, _ c: Int32) -> Int {
        var x = UInt64(UInt32(bitPattern: a)) &* 0x9E37_79B9_7F4A_7C15
        x ^= UInt64(UInt32(bitPattern: b)) &* 0xC2B2_AE3D_27D4_EB4F
        x ^= UInt64(UInt32(bitPattern: c)) &* 0x1656_67B1_9E37_79F9
        x ^= x >> 29
        return Int(truncatingIfNeeded: x)
    }

    public func variable(of n: Node) -> Int32 { variable[Int(n)] }
    public func low(of n: Node) -> Node { low[Int(n)] }
    public func high(of n: Node) -> Node { high[Int(n)] }

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
        let slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & cacheMask
        if cacheKeys[slot] == key { return cacheValues[slot] }
        let va = variable[Int(x)], vb = variable[Int(y)]
        let top = min(va, vb)
        let (xl, xh) = va == top ? (low[Int(x)], high[Int(x)]) : (x, x)
        let (yl, yh) = vb == top ? (low[Int(y)], high[Int(y)]) : (y, y)
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
            let v = variable[Int(current)]
            if low[Int(current)] != Self.empty {
                current = low[Int(current)]
            } else {
                bits[Int(v)] = true
                current = high[Int(current)]
            }
        }
        return bits
    }

    /// Whether a complete assignment lies in the set.
    public func contains(_ n: Node, _ bits: [Bool]) -> Bool {
        var current = n
        while current > Self.all {
            current = bits[Int(variable[Int(current)])] ? high[Int(current)] : low[Int(current)]
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
