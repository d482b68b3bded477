import Foundation

/// One row per control (RFC 4180: CRLF line ends, fields quoted when needed), UTF-8 with a byte
/// order mark so that Excel — what most officers open CSV with — reads the Japanese correctly.
public enum ComplianceCSV {
    public static let header = ["group", "id", "title", "check", "status", "reason", "source"]

    public static func encode(_ report: ComplianceReport, language: ReportLanguage) -> [UInt8] {
        var rows = [header]
        for result in report.results {
            rows.append([result.groupID, result.control.id, language.text(result.control.title), result.control.check.kind,
                         result.status.rawValue, language.text(result.reason), language.text(result.control.source)])
        }
        let text = rows.map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
        return [0xEF, 0xBB, 0xBF] + Array(text.utf8)
    }

    static func field(_ value: String) -> String {
        // A cell that starts like a formula is made text (CSV injection: a site or incident name
        // is the user's text, and a spreadsheet would evaluate "=…").
        var value = value
        if let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { value = "'" + value }
        // By scalar: "\r\n" is one Character, equal to neither "\r" nor "\n".
        guard value.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
