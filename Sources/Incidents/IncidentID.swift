/// `INC-YYYY-NNNN`: numbered per year without gaps (more than four digits once a year passes 9,999).
public struct IncidentID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let year: Int
    public let number: Int

    public init(year: Int, number: Int) {
        self.year = year
        self.number = number
    }

    public init?(_ text: String) {
        let parts = text.uppercased().split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "INC", parts[1].count == 4, parts[2].count >= 4,
              let year = Int(parts[1]), let number = Int(parts[2]), number >= 1,
              parts[1].allSatisfy(\.isASCII), parts[2].allSatisfy({ $0.isASCII && $0.isNumber })
        else { return nil }
        self.year = year
        self.number = number
    }

    public var description: String {
        let digits = String(number)
        return "INC-\(year)-\(String(repeating: "0", count: max(0, 4 - digits.count)))\(digits)"
    }

    public static func < (a: IncidentID, b: IncidentID) -> Bool { (a.year, a.number) < (b.year, b.number) }
}
