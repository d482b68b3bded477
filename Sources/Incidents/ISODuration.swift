/// An ISO 8601 duration of fixed length: `PnW`, `PnD`, `PTnH`, `PTnM`, `PTnS` and combinations
/// such as `P1DT12H`. Years and months are refused: their length varies, and a deadline must not.
public struct ISODuration: Sendable, Equatable, Hashable, CustomStringConvertible, Codable {
    public let seconds: Int
    public let text: String

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case variableLength(String)
        case zero(String)

        public var description: String {
            switch self {
            case .malformed(let text): return "\"\(text)\" is not an ISO 8601 duration (e.g. PT4H, P3D, P1DT12H)"
            case .variableLength(let text): return "\"\(text)\" uses years or months, whose length varies; write days instead (e.g. P30D)"
            case .zero(let text): return "\"\(text)\" is a zero duration"
            }
        }
    }

    public init(seconds: Int) {
        self.seconds = seconds
        var rest = seconds
        var text = "P"
        let days = rest / 86_400
        rest %= 86_400
        if days > 0 { text += "\(days)D" }
        if rest > 0 {
            text += "T"
            if rest / 3600 > 0 { text += "\(rest / 3600)H" }
            if rest % 3600 / 60 > 0 { text += "\(rest % 3600 / 60)M" }
            if rest % 60 > 0 { text += "\(rest % 60)S" }
        }
        self.text = seconds == 0 ? "PT0S" : text
    }

    public static func days(_ n: Int) -> ISODuration { ISODuration(seconds: n * 86_400) }

    public init(parsing text: String) throws(ParseError) {
        let upper = Array(text.utf8)
        guard upper.count >= 3, upper[0] == UInt8(ascii: "P") else { throw .malformed(text) }
        var total = 0
        var inTime = false
        var number: Int? = nil
        var seenUnits = Set<String>()
        var order = 0
        for byte in upper.dropFirst() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let digit = Int(byte - 48)
                let (times, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (sum, o2) = times.addingReportingOverflow(digit)
                guard !o1, !o2, sum < 10_000_000 else { throw .malformed(text) }
                number = sum
            case UInt8(ascii: "T"):
                guard !inTime, number == nil else { throw .malformed(text) }
                inTime = true
                order = 10
            default:
                guard let value = number else { throw .malformed(text) }
                let unit = String(UnicodeScalar(byte)) + (inTime ? "t" : "")
                let (multiplier, rank): (Int, Int)
                switch unit {
                case "Y", "M": throw .variableLength(text)
                case "W": (multiplier, rank) = (604_800, 1)
                case "D": (multiplier, rank) = (86_400, 2)
                case "Ht": (multiplier, rank) = (3600, 11)
                case "Mt": (multiplier, rank) = (60, 12)
                case "St": (multiplier, rank) = (1, 13)
                default: throw .malformed(text)
                }
                guard rank > order, !seenUnits.contains(unit) else { throw .malformed(text) }
                seenUnits.insert(unit)
                order = rank
                total += value * multiplier
                number = nil
            }
        }
        guard number == nil, !seenUnits.isEmpty else { throw .malformed(text) }
        // A 'T' must be followed by at least one time unit.
        if inTime && !seenUnits.contains(where: { $0.hasSuffix("t") }) { throw .malformed(text) }
        guard total > 0 else { throw .zero(text) }
        self.seconds = total
        self.text = text
    }

    public var description: String { text }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
