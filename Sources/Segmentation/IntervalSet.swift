/// A set of values in one header field: sorted, disjoint, non-adjacent half-open ranges.
public struct IntervalSet: Sendable, Hashable, CustomStringConvertible {
    public private(set) var ranges: [ValueRange]

    public init(_ ranges: [ValueRange]) {
        let sorted = ranges.filter { !$0.isEmpty }.sorted { $0.lower < $1.lower }
        var merged: [ValueRange] = []
        for range in sorted {
            if let last = merged.last, range.lower <= last.upper {
                merged[merged.count - 1].upper = max(last.upper, range.upper)
            } else {
                merged.append(range)
            }
        }
        self.ranges = merged
    }

    public init(_ range: ValueRange) {
        self.init([range])
    }

    public static let empty = IntervalSet([])

    public var isEmpty: Bool { ranges.isEmpty }
    public var first: UInt64? { ranges.first?.lower }

    public func contains(_ value: UInt64) -> Bool {
        ranges.contains { $0.lower <= value && value < $0.upper }
    }

    public func intersection(_ other: IntervalSet) -> IntervalSet {
        var result: [ValueRange] = []
        var i = 0, j = 0
        while i < ranges.count && j < other.ranges.count {
            let a = ranges[i], b = other.ranges[j]
            let lower = max(a.lower, b.lower), upper = min(a.upper, b.upper)
            if lower < upper { result.append(ValueRange(lower, upper)) }
            if a.upper < b.upper { i += 1 } else { j += 1 }
        }
        var set = IntervalSet.empty
        set.ranges = result
        return set
    }

    public func subtracting(_ other: IntervalSet) -> IntervalSet {
        var result: [ValueRange] = []
        var j = 0
        for range in ranges {
            var lower = range.lower
            while j < other.ranges.count && other.ranges[j].upper <= lower { j += 1 }
            var k = j
            while k < other.ranges.count && other.ranges[k].lower < range.upper {
                if other.ranges[k].lower > lower { result.append(ValueRange(lower, other.ranges[k].lower)) }
                lower = max(lower, other.ranges[k].upper)
                k += 1
            }
            if lower < range.upper { result.append(ValueRange(lower, range.upper)) }
        }
        var set = IntervalSet.empty
        set.ranges = result
        return set
    }

    public func union(_ other: IntervalSet) -> IntervalSet {
        IntervalSet(ranges + other.ranges)
    }

    public var description: String { ranges.map(\.description).joined(separator: " ∪ ") }
}
