import CanonicalJSON
import Foundation
import Incidents

/// The report as Markdown (GitHub-flavoured tables), in the chosen language.
public enum ComplianceMarkdown {
    public static func encode(_ report: ComplianceReport, language l: ReportLanguage) -> [UInt8] {
        let evidence = report.evidence
        let statistics = report.statistics
        var lines: [String] = []
        lines.append("# " + l.pick("遵守状況報告書: ", "Compliance report: ") + cell(l.text(report.catalog.title)))
        lines.append("")
        lines.append("- " + l.pick("対象期間", "Period") + ": \(RFC3339.format(evidence.period.start)) – \(RFC3339.format(evidence.period.end))"
            + l.pick("（終了時刻を含まない）", " (end excluded)"))
        lines.append("- " + l.pick("管理策カタログ", "Control catalog") + ": `\(report.catalog.id)` v\(report.catalog.version)")
        lines.append("- " + l.pick("根拠とした監査ログの先頭", "Built from the audit log head") + ": seq \(evidence.audit.headSeq), sha256 `\(evidence.audit.headHash)`")
        lines.append("- " + l.pick("総合判定", "Result") + ": **" + l.status(report.failed ? .fail : .pass) + "** — "
            + ControlStatus.allCases.map { "\(l.status($0)) \(report.count($0))" }.joined(separator: ", "))
        lines.append("")
        for group in report.catalog.groups {
            lines.append("## " + cell(l.text(group.title)))
            lines.append("")
            lines.append("| " + [l.pick("管理策", "Control"), l.pick("名称", "Title"), l.pick("判定", "Result"), l.pick("理由", "Reason")].joined(separator: " | ") + " |")
            lines.append("|---|---|---|---|")
            for result in report.results where result.groupID == group.id {
                lines.append("| \(result.control.id) | \(cell(l.text(result.control.title))) | \(l.status(result.status)) | \(cell(l.text(result.reason))) |")
            }
            lines.append("")
        }
        lines.append("## " + l.pick("根拠", "Evidence"))
        lines.append("")
        lines.append("### " + l.pick("三層分離の点検（サイトごとの最新）", "Segmentation checks (latest per site)"))
        lines.append("")
        if evidence.sites.isEmpty {
            lines.append(l.pick("点検の記録なし。", "No check recorded."))
        } else {
            lines.append("| " + [l.pick("サイト", "Site"), l.pick("モデル", "Model"), l.pick("ポリシー", "Policy"), l.pick("実行", "Run"),
                                   l.pick("点検日時", "Checked at"), l.pick("違反", "Violations"), l.pick("警告", "Warnings")].joined(separator: " | ") + " |")
            lines.append("|---|---|---|---|---|---|---|")
            for site in evidence.sites.sorted(by: { $0.site < $1.site }) {
                lines.append("| \(cell(site.site)) | \(site.model) | \(cell(site.policyID)) | #\(site.runID) | \(RFC3339.format(site.checkedAt)) | \(site.violations) | \(site.warnings) |")
            }
            let byRule = evidence.violationsByRule
            if !byRule.isEmpty {
                lines.append("")
                lines.append(l.pick("ポリシー規則ごとの違反", "Violations per policy rule") + ": "
                    + byRule.map { "\(cell($0.rule)) \($0.count)" }.joined(separator: ", "))
            }
        }
        lines.append("")
        lines.append("### " + l.pick("インシデント", "Incidents"))
        lines.append("")
        lines.append("- " + l.pick("期間中に記録", "Logged in the period") + ": \(statistics.logged)")
        lines.append("- " + l.pick("分類別", "By category") + ": " + nonZero(statistics.byCategory.map { (l.name($0.0), $0.1) }))
        lines.append("- " + l.pick("重大度別", "By severity") + ": " + nonZero(statistics.bySeverity.map { (l.name($0.0), $0.1) }))
        lines.append("- " + l.pick("影響セグメント別", "By segment") + ": " + nonZero(statistics.bySegment.map { (l.name($0.0), $0.1) }))
        lines.append("- " + l.pick("月別", "Per month") + ": " + (statistics.byMonth.isEmpty ? "0" : statistics.byMonth.map { month in
            "\(month.month) \(month.counts.values.reduce(0, +))" }.joined(separator: ", ")))
        lines.append("- " + l.pick("封じ込めまでの時間", "Time to contain") + ": " + durations(statistics.containHours, l))
        lines.append("- " + l.pick("終結までの時間", "Time to close") + ": " + durations(statistics.closeHours, l))
        lines.append("- " + l.pick("期限切れの必須手順", "Required steps overdue") + ": \(statistics.overdueSteps); "
            + l.pick("期限後に完了", "done late") + ": \(statistics.lateSteps)")
        lines.append("- " + l.pick("個人情報保護委員会への報告の期限切れ", "PPC reports overdue") + ": \(statistics.overdueReports); "
            + l.pick("遅延報告", "made late") + ": \(statistics.lateReports); " + l.pick("期限前の未報告", "still due") + ": \(statistics.pendingReports)")
        lines.append("")
        lines.append("### " + l.pick("監査ログとプレイブック", "Audit log and playbooks"))
        lines.append("")
        lines.append("- " + l.pick("監査ログ", "Audit log") + ": " + (evidence.audit.problem.map { cell($0) } ?? l.pick("改ざんなし", "intact")))
        lines.append("- " + l.pick("プレイブックのない分類", "Categories without a playbook") + ": "
            + (evidence.playbooks.problem.map { cell($0) } ?? (evidence.playbooks.uncovered.isEmpty ? l.pick("なし", "none") : evidence.playbooks.uncovered.map { l.name($0) }.joined(separator: ", "))))
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// Text shown as text, in a table cell or a list: Markdown and HTML punctuation escaped (a site
    /// name or a catalog text is the user's, and a viewer would render `<img …>` or `[x](…)`),
    /// line breaks as spaces.
    static func cell(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\", "`", "*", "_", "[", "]", "|", "#", "!": out += "\\" + String(scalar)
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\r", "\n": out += " "
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func nonZero(_ pairs: [(String, Int)]) -> String {
        let shown = pairs.filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" }
        return shown.isEmpty ? "0" : shown.joined(separator: ", ")
    }

    static func durations(_ hours: [Double], _ l: ReportLanguage) -> String {
        guard let median = Percentile.nearestRank(hours, 50), let p90 = Percentile.nearestRank(hours, 90) else { return l.pick("該当なし", "none") }
        return l.pick("中央値 \(Percentile.hoursText(median))時間、90パーセンタイル \(Percentile.hoursText(p90))時間（\(hours.count)件）",
                      "median \(Percentile.hoursText(median)) h, 90th percentile \(Percentile.hoursText(p90)) h (n = \(hours.count))")
    }
}
