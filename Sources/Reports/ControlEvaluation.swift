import Foundation
import Incidents

public enum ControlStatus: String, Sendable, CaseIterable {
    case pass, fail
    case notApplicable = "not-applicable"
    case manual
}

/// One control's result, with the reason in both languages (which site, which steps, what P90).
public struct ControlResult: Sendable, Equatable {
    public var control: Control
    public var groupID: String
    public var status: ControlStatus
    public var reason: LocalizedText
}

/// Evaluates controls from evidence, exactly as docs/controls-format.md §3 says.
public enum ControlEvaluation {
    public static func evaluate(_ catalog: ControlCatalog, _ evidence: ComplianceEvidence) -> [ControlResult] {
        catalog.groups.flatMap { group in
            group.controls.map { control in
                let (status, reason) = evaluate(control, evidence)
                return ControlResult(control: control, groupID: group.id, status: status, reason: reason)
            }
        }
    }

    static func evaluate(_ control: Control, _ evidence: ComplianceEvidence) -> (ControlStatus, LocalizedText) {
        var sites = evidence.sites
        if !control.appliesTo.isEmpty {
            sites = sites.filter { control.appliesTo.contains($0.model) }
            if sites.isEmpty {
                let models = control.appliesTo.joined(separator: ", ")
                return (.notApplicable, LocalizedText(ja: "対象モデル（\(models)）のサイトがない", en: "no site uses one of the models it applies to (\(models))"))
            }
        }
        switch control.check {
        case .manual:
            return (.manual, LocalizedText(ja: "担当者による確認が必要", en: "needs a person's review"))
        case .segmentation(let maxAgeDays):
            return segmentation(sites, maxAgeDays: maxAgeDays, end: evidence.period.end)
        case .incidentSteps:
            return incidentSteps(evidence)
        case .containmentTime(let p90Hours):
            return containmentTime(evidence, p90Hours: p90Hours)
        case .legalReports:
            return legalReports(evidence)
        case .auditLog:
            if let problem = evidence.audit.problem {
                return (.fail, LocalizedText(ja: "監査ログの検証に失敗: \(problem)", en: "the audit log does not verify: \(problem)"))
            }
            return (.pass, LocalizedText(ja: "監査ログは第\(evidence.audit.headSeq)項まで改ざんなし（署名検証済み）",
                                         en: "the audit log is intact up to entry \(evidence.audit.headSeq), signatures checked"))
        case .playbookCoverage:
            if let problem = evidence.playbooks.problem {
                return (.fail, LocalizedText(ja: "プレイブックを読み込めない: \(problem)", en: "the playbooks cannot be loaded: \(problem)"))
            }
            if !evidence.playbooks.uncovered.isEmpty {
                let ja = evidence.playbooks.uncovered.map { ReportLanguage.ja.name($0) }.joined(separator: "、")
                let en = evidence.playbooks.uncovered.map(\.rawValue).joined(separator: ", ")
                return (.fail, LocalizedText(ja: "プレイブックのない分類: \(ja)", en: "categories without a playbook: \(en)"))
            }
            return (.pass, LocalizedText(ja: "全\(IncidentCategory.allCases.count)分類にプレイブックあり",
                                         en: "all \(IncidentCategory.allCases.count) categories have a playbook"))
        }
    }

    static func segmentation(_ sites: [SiteEvidence], maxAgeDays: Int, end: Date) -> (ControlStatus, LocalizedText) {
        guard !sites.isEmpty else {
            return (.manual, LocalizedText(ja: "分離点検（csirt check segmentation）の実施記録がない", en: "no segmentation check was ever run (csirt check segmentation)"))
        }
        var ja: [String] = [], en: [String] = []
        for site in sites.sorted(by: { $0.site < $1.site }) {
            if site.violations > 0 {
                ja.append("\(site.site): 違反\(site.violations)件（実行 #\(site.runID)）")
                en.append("\(site.site): \(site.violations) violation\(site.violations == 1 ? "" : "s") (run #\(site.runID))")
            }
            let age = end.timeIntervalSince(site.checkedAt)
            if age > Double(maxAgeDays) * 86_400 {
                let days = Percentile.hoursText(age / 86_400)
                ja.append("\(site.site): 最終点検が\(days)日前（上限\(maxAgeDays)日）")
                en.append("\(site.site): last checked \(days) days before the end (at most \(maxAgeDays))")
            }
        }
        if !ja.isEmpty { return (.fail, LocalizedText(ja: ja.joined(separator: "; "), en: en.joined(separator: "; "))) }
        let names = sites.map(\.site).sorted().joined(separator: ", ")
        return (.pass, LocalizedText(ja: "全サイト（\(names)）で違反なし、\(maxAgeDays)日以内に点検済み",
                                     en: "every site (\(names)) has no violation and was checked within \(maxAgeDays) days"))
    }

    static func incidentSteps(_ evidence: ComplianceEvidence) -> (ControlStatus, LocalizedText) {
        let period = evidence.period
        let openAtEnd = Set(evidence.incidents.filter { $0.isOpen(at: period.end) }.map(\.id))
        let steps = evidence.tasks.filter { $0.kind == .step && $0.required }
        let overdue = steps.filter { task in
            guard let due = task.dueAt else { return false }
            return due < period.end && task.isOutstanding(at: period.end) && openAtEnd.contains(task.incidentID)
        }
        let late = steps.filter { $0.wasDoneLate(in: period) }
        return outcome(overdue: overdue, late: late,
                       passed: LocalizedText(ja: "期限切れ・期限後完了の必須手順なし", en: "no required step overdue or done late"),
                       what: ("必須手順", "required step"))
    }

    static func legalReports(_ evidence: ComplianceEvidence) -> (ControlStatus, LocalizedText) {
        let period = evidence.period
        let reports = evidence.legalReports
        let overdue = reports.filter { task in
            guard let due = task.dueAt else { return false }
            return due < period.end && task.isOutstanding(at: period.end)
        }
        let late = reports.filter { $0.wasDoneLate(in: period) }
        return outcome(overdue: overdue, late: late,
                       passed: LocalizedText(ja: "個人情報保護委員会への報告の遅延・未了なし", en: "no report to the PPC late or overdue"),
                       what: ("報告", "report"))
    }

    private static func outcome(overdue: [TaskEvidence], late: [TaskEvidence], passed: LocalizedText, what: (ja: String, en: String))
        -> (ControlStatus, LocalizedText) {
        guard !overdue.isEmpty || !late.isEmpty else { return (.pass, passed) }
        // The first ten in order, without sorting them all (years of incidents can hold many).
        func list(_ tasks: [TaskEvidence]) -> String {
            var first: [String] = []
            for task in tasks {
                let name = "\(task.incidentID)/\(task.taskID)"
                if first.count == 10, let last = first.last, name >= last { continue }
                first.insert(name, at: first.firstIndex { name < $0 } ?? first.endIndex)
                if first.count > 10 { first.removeLast() }
            }
            return first.joined(separator: ", ") + (tasks.count > 10 ? ", …" : "")
        }
        var ja: [String] = [], en: [String] = []
        if !overdue.isEmpty {
            ja.append("期限切れの\(what.ja)\(overdue.count)件: \(list(overdue))")
            en.append("\(overdue.count) \(what.en)\(overdue.count == 1 ? "" : "s") overdue: \(list(overdue))")
        }
        if !late.isEmpty {
            ja.append("期限後に完了した\(what.ja)\(late.count)件: \(list(late))")
            en.append("\(late.count) \(what.en)\(late.count == 1 ? "" : "s") done late: \(list(late))")
        }
        return (.fail, LocalizedText(ja: ja.joined(separator: "; "), en: en.joined(separator: "; ")))
    }

    static func containmentTime(_ evidence: ComplianceEvidence, p90Hours: Double) -> (ControlStatus, LocalizedText) {
        let hours = evidence.incidents.compactMap { incident -> Double? in
            guard let contained = incident.containedAt, evidence.period.contains(contained) else { return nil }
            return max(0, contained.timeIntervalSince(incident.detectedAt) / 3_600)
        }
        guard let p90 = Percentile.nearestRank(hours, 90) else {
            return (.notApplicable, LocalizedText(ja: "期間中に封じ込めたインシデントがない", en: "no incident was contained in the period"))
        }
        let shown = Percentile.hoursText(p90), target = Percentile.hoursText(p90Hours)
        let counted = "n = \(hours.count)"
        if p90 <= p90Hours {
            return (.pass, LocalizedText(ja: "封じ込めまでの90パーセンタイル \(shown)時間 ≤ 目標\(target)時間（\(counted)）",
                                         en: "90th percentile time to contain \(shown) h ≤ target \(target) h (\(counted))"))
        }
        return (.fail, LocalizedText(ja: "封じ込めまでの90パーセンタイル \(shown)時間 > 目標\(target)時間（\(counted)）",
                                     en: "90th percentile time to contain \(shown) h > target \(target) h (\(counted))"))
    }
}

/// Nearest-rank percentiles: the value at rank ⌈p·n/100⌉ of the sorted values.
public enum Percentile {
    public static func nearestRank(_ values: [Double], _ percent: Int) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = (percent * sorted.count + 99) / 100
        return sorted[max(0, min(sorted.count, rank) - 1)]
    }

    /// Hours with one decimal, the same in every format and language.
    public static func hoursText(_ hours: Double) -> String {
        let tenths = Int((hours * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
