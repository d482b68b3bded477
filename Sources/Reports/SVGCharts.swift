import Foundation
import Incidents

/// The report's charts as inline SVG: plain shapes and text, sized in user units, no scripts.
enum SVGCharts {
    static let severityColours: [(Severity, String)] = [(.critical, "#7f0000"), (.high, "#d9480f"), (.medium, "#f2a33a"), (.low, "#8fb3d9")]

    /// Stacked bars, one per month, and a legend.
    static func incidentsPerMonth(_ months: [(month: String, counts: [Severity: Int])], language l: ReportLanguage) -> String {
        let width = 640, height = 240, left = 40, bottom = 40, top = 30
        let plotHeight = height - bottom - top
        let totals = months.map { $0.counts.values.reduce(0, +) }
        let maximum = max(1, totals.max() ?? 0)
        let slot = months.isEmpty ? 0 : (width - left - 10) / months.count
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\">"
        svg += "<title>\(HTMLWriter.escaped(l.pick("月別・重大度別のインシデント件数", "Incidents per month by severity")))</title>"
        svg += axis(left: left, top: top, bottom: height - bottom, right: width - 10, maximum: maximum)
        for (index, month) in months.enumerated() {
            var y = height - bottom
            let x = left + index * slot + max(1, slot / 8)
            let barWidth = max(1, slot - max(2, slot / 4))
            for (severity, colour) in severityColours.reversed() {
                let count = month.counts[severity] ?? 0
                guard count > 0 else { continue }
                let h = count * plotHeight / maximum
                y -= h
                svg += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(barWidth)\" height=\"\(h)\" fill=\"\(colour)\"><title>\(month.month) \(l.name(severity)): \(count)</title></rect>"
            }
            if months.count <= 24 || index % max(1, months.count / 12) == 0 {
                svg += "<text x=\"\(x + barWidth / 2)\" y=\"\(height - bottom + 14)\" text-anchor=\"middle\">\(month.month)</text>"
            }
        }
        for (index, (severity, colour)) in severityColours.enumerated() {
            let x = left + index * 90
            svg += "<rect x=\"\(x)\" y=\"6\" width=\"10\" height=\"10\" fill=\"\(colour)\"/><text x=\"\(x + 14)\" y=\"15\">\(HTMLWriter.escaped(l.name(severity)))</text>"
        }
        return svg + "</svg>\n"
    }

    static let containBuckets: [(upTo: Double, ja: String, en: String)] = [
        (1, "1時間以内", "≤ 1 h"), (4, "4時間以内", "≤ 4 h"), (8, "8時間以内", "≤ 8 h"), (24, "24時間以内", "≤ 24 h"),
        (72, "3日以内", "≤ 3 d"), (.infinity, "3日超", "> 3 d"),
    ]

    /// How many incidents were contained within each bucket of time.
    static func containmentHistogram(_ hours: [Double], language l: ReportLanguage) -> String {
        var counts = Array(repeating: 0, count: containBuckets.count)
        for value in hours {
            counts[containBuckets.firstIndex { value <= $0.upTo } ?? containBuckets.count - 1] += 1
        }
        return bars(counts.enumerated().map { (l.pick(containBuckets[$0.offset].ja, containBuckets[$0.offset].en), $0.element) },
                    title: l.pick("封じ込めまでの時間の分布", "Time to contain, distribution"), colour: "#456")
    }

    static func violationsPerRule(_ rules: [(String, Int)], language l: ReportLanguage) -> String {
        bars(rules.isEmpty ? [(l.pick("違反なし", "no violation"), 0)] : rules, title: l.pick("ポリシー規則ごとの違反", "Violations per policy rule"), colour: "#8e1c1c")
    }

    /// Vertical bars with their labels below and counts above.
    static func bars(_ values: [(String, Int)], title: String, colour: String) -> String {
        let width = 640, height = 200, left = 40, bottom = 40, top = 20
        let plotHeight = height - bottom - top
        let maximum = max(1, values.map(\.1).max() ?? 0)
        let slot = values.isEmpty ? 0 : (width - left - 10) / values.count
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\">"
        svg += "<title>\(HTMLWriter.escaped(title))</title>"
        svg += axis(left: left, top: top, bottom: height - bottom, right: width - 10, maximum: maximum)
        for (index, (label, count)) in values.enumerated() {
            let barWidth = max(1, slot - max(2, slot / 3))
            let x = left + index * slot + max(1, slot / 6)
            let h = count * plotHeight / maximum
            svg += "<rect x=\"\(x)\" y=\"\(height - bottom - h)\" width=\"\(barWidth)\" height=\"\(h)\" fill=\"\(colour)\"/>"
            svg += "<text x=\"\(x + barWidth / 2)\" y=\"\(height - bottom - h - 3)\" text-anchor=\"middle\">\(count)</text>"
            svg += "<text x=\"\(x + barWidth / 2)\" y=\"\(height - bottom + 14)\" text-anchor=\"middle\">\(HTMLWriter.escaped(label))</text>"
        }
        return svg + "</svg>\n"
    }

    static func axis(left: Int, top: Int, bottom: Int, right: Int, maximum: Int) -> String {
        "<line x1=\"\(left)\" y1=\"\(bottom)\" x2=\"\(right)\" y2=\"\(bottom)\" stroke=\"#333\"/>"
            + "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(bottom)\" stroke=\"#333\"/>"
            + "<text x=\"\(left - 4)\" y=\"\(top + 4)\" text-anchor=\"end\">\(maximum)</text>"
            + "<text x=\"\(left - 4)\" y=\"\(bottom)\" text-anchor=\"end\">0</text>"
    }
}
