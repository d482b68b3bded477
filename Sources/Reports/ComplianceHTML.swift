import CanonicalJSON
import Foundation
import Incidents

/// The report as one self-contained HTML file: no external assets, no JavaScript, styles for
/// screen and print, and three inline SVG charts (incidents per month by severity, the time to
/// contain, violations per policy rule). Written as well-formed XML (every element closed, every
/// text escaped), so that XML tools read it as well as browsers.
public enum ComplianceHTML {
    public static func encode(_ report: ComplianceReport, language l: ReportLanguage) -> [UInt8] {
        var html = HTMLWriter()
        let evidence = report.evidence
        let statistics = report.statistics
        let title = l.pick("遵守状況報告書", "Compliance report") + ": " + l.text(report.catalog.title)
        html.raw("<!DOCTYPE html>\n<html lang=\"\(l.rawValue)\">\n<head>\n<meta charset=\"utf-8\"/>\n")
        html.element("title", title)
        html.raw("\n<style>\n\(style)</style>\n</head>\n<body>\n")
        html.element("h1", title)
        html.raw("<table class=\"facts\">\n")
        func fact(_ name: String, _ value: String) {
            html.raw("<tr><th>"); html.text(name); html.raw("</th><td>"); html.text(value); html.raw("</td></tr>\n")
        }
        fact(l.pick("対象期間", "Period"), "\(RFC3339.format(evidence.period.start)) – \(RFC3339.format(evidence.period.end))" + l.pick("（終了時刻を含まない）", " (end excluded)"))
        fact(l.pick("管理策カタログ", "Control catalog"), "\(report.catalog.id) v\(report.catalog.version)")
        fact(l.pick("根拠とした監査ログの先頭", "Built from the audit log head"), "seq \(evidence.audit.headSeq), sha256 \(evidence.audit.headHash)")
        html.raw("<tr><th>"); html.text(l.pick("総合判定", "Result")); html.raw("</th><td>")
        badge(&html, report.failed ? .fail : .pass, l)
        html.text(" " + ControlStatus.allCases.map { "\(l.status($0)) \(report.count($0))" }.joined(separator: ", "))
        html.raw("</td></tr>\n</table>\n")

        for group in report.catalog.groups {
            html.element("h2", l.text(group.title))
            html.raw("<table class=\"controls\">\n<thead><tr>")
            for name in [l.pick("管理策", "Control"), l.pick("名称と出典", "Title and source"), l.pick("判定", "Result"), l.pick("理由", "Reason")] {
                html.element("th", name)
            }
            html.raw("</tr></thead>\n<tbody>\n")
            for result in report.results where result.groupID == group.id {
                html.raw("<tr class=\"\(result.status.rawValue)\"><td class=\"id\">"); html.text(result.control.id); html.raw("</td><td>")
                html.text(l.text(result.control.title)); html.raw("<div class=\"source\">"); html.text(l.text(result.control.source))
                html.raw("</div></td><td>"); badge(&html, result.status, l); html.raw("</td><td>"); html.text(l.text(result.reason))
                html.raw("</td></tr>\n")
            }
            html.raw("</tbody>\n</table>\n")
        }

        html.element("h2", l.pick("根拠", "Evidence"))
        html.element("h3", l.pick("インシデント（月別・重大度別）", "Incidents per month, by severity"))
        html.raw(SVGCharts.incidentsPerMonth(statistics.byMonth, language: l))
        html.raw("<ul>\n")
        for line in [
            l.pick("期間中に記録", "Logged in the period") + ": \(statistics.logged)",
            l.pick("分類別", "By category") + ": " + ComplianceMarkdown.nonZero(statistics.byCategory.map { (l.name($0.0), $0.1) }),
            l.pick("影響セグメント別", "By segment") + ": " + ComplianceMarkdown.nonZero(statistics.bySegment.map { (l.name($0.0), $0.1) }),
            l.pick("封じ込めまでの時間", "Time to contain") + ": " + ComplianceMarkdown.durations(statistics.containHours, l),
            l.pick("終結までの時間", "Time to close") + ": " + ComplianceMarkdown.durations(statistics.closeHours, l),
            l.pick("期限切れの必須手順", "Required steps overdue") + ": \(statistics.overdueSteps); " + l.pick("期限後に完了", "done late") + ": \(statistics.lateSteps)",
            l.pick("個人情報保護委員会への報告の期限切れ", "PPC reports overdue") + ": \(statistics.overdueReports); " + l.pick("遅延報告", "made late") + ": \(statistics.lateReports); " + l.pick("期限前の未報告", "still due") + ": \(statistics.pendingReports)",
        ] {
            html.element("li", line)
        }
        html.raw("</ul>\n")
        html.element("h3", l.pick("封じ込めまでの時間の分布", "Time to contain"))
        html.raw(SVGCharts.containmentHistogram(statistics.containHours, language: l))
        html.element("h3", l.pick("三層分離の点検（サイトごとの最新）", "Segmentation checks (latest per site)"))
        if evidence.sites.isEmpty {
            html.element("p", l.pick("点検の記録なし。", "No check recorded."))
        } else {
            html.raw("<table class=\"sites\">\n<thead><tr>")
            for name in [l.pick("サイト", "Site"), l.pick("モデル", "Model"), l.pick("ポリシー", "Policy"), l.pick("実行", "Run"),
                         l.pick("点検日時", "Checked at"), l.pick("違反", "Violations"), l.pick("警告", "Warnings")] {
                html.element("th", name)
            }
            html.raw("</tr></thead>\n<tbody>\n")
            for site in evidence.sites.sorted(by: { $0.site < $1.site }) {
                html.raw("<tr>")
                for value in [site.site, site.model, site.policyID, "#\(site.runID)", RFC3339.format(site.checkedAt), "\(site.violations)", "\(site.warnings)"] {
                    html.element("td", value)
                }
                html.raw("</tr>\n")
            }
            html.raw("</tbody>\n</table>\n")
        }
        html.element("h3", l.pick("ポリシー規則ごとの違反", "Violations per policy rule"))
        html.raw(SVGCharts.violationsPerRule(evidence.violationsByRule, language: l))
        html.element("h3", l.pick("監査ログとプレイブック", "Audit log and playbooks"))
        html.raw("<ul>\n")
        html.element("li", l.pick("監査ログ", "Audit log") + ": " + (evidence.audit.problem ?? l.pick("改ざんなし", "intact")))
        html.element("li", l.pick("プレイブックのない分類", "Categories without a playbook") + ": "
            + (evidence.playbooks.problem ?? (evidence.playbooks.uncovered.isEmpty ? l.pick("なし", "none") : evidence.playbooks.uncovered.map { l.name($0) }.joined(separator: ", "))))
        html.raw("</ul>\n</body>\n</html>\n")
        return html.bytes
    }

    static func badge(_ html: inout HTMLWriter, _ status: ControlStatus, _ l: ReportLanguage) {
        html.raw("<span class=\"badge \(status.rawValue)\">"); html.text(l.status(status)); html.raw("</span>")
    }

    static let style = """
        body { font-family: "Noto Sans JP", "Hiragino Sans", "Yu Gothic", Meiryo, sans-serif; margin: 2em auto; max-width: 60em; color: #222; line-height: 1.5; }
        h1 { font-size: 1.5em; border-bottom: 2px solid #333; padding-bottom: .2em; }
        h2 { font-size: 1.2em; margin-top: 1.6em; border-left: 6px solid #456; padding-left: .4em; }
        h3 { font-size: 1.05em; margin-top: 1.2em; }
        table { border-collapse: collapse; width: 100%; margin: .5em 0; }
        th, td { border: 1px solid #bbb; padding: .3em .5em; text-align: left; vertical-align: top; font-size: .9em; }
        th { background: #eef1f4; }
        table.facts th { width: 14em; }
        td.id { white-space: nowrap; font-weight: bold; }
        .source { color: #666; font-size: .85em; }
        .badge { display: inline-block; padding: 0 .5em; border-radius: .3em; font-weight: bold; white-space: nowrap; border: 1px solid; }
        .badge.pass { color: #1a5e20; background: #e3f3e4; }
        .badge.fail { color: #8e1c1c; background: #fbe3e3; }
        .badge.not-applicable { color: #555; background: #f0f0f0; }
        .badge.manual { color: #7a5600; background: #fff4d6; }
        svg { max-width: 100%; height: auto; }
        svg text { font-size: 11px; fill: #333; }
        @media print {
          body { margin: 0; max-width: none; font-size: 10pt; }
          h2 { break-after: avoid; }
          tr, svg { break-inside: avoid; }
          .badge { border-width: 2px; }
        }

        """
}

/// Text and markup for HTML and SVG, escaped as XML.
struct HTMLWriter {
    var bytes: [UInt8] = []

    mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    mutating func text(_ text: String) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): bytes.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): bytes.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): bytes.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): bytes.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): bytes.append(contentsOf: "&#39;".utf8)
            // Control characters are not allowed in XML 1.0 (tab, newline and return are).
            case 0x00...0x08, 0x0B, 0x0C, 0x0E...0x1F: bytes.append(contentsOf: "\u{FFFD}".utf8)
            default: bytes.append(byte)
            }
        }
    }

    mutating func element(_ name: String, _ content: String) {
        raw("<\(name)>"); text(content); raw("</\(name)>\n")
    }

    static func escaped(_ text: String) -> String {
        var writer = HTMLWriter()
        writer.text(text)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
