import Foundation
import Incidents

/// The reader's language: every text of a report in Japanese or in English.
public enum ReportLanguage: String, Sendable, CaseIterable {
    case ja, en

    /// From the locale's environment (LC_ALL, LC_MESSAGES, LANG): Japanese when it starts with `ja`.
    public static func fromEnvironment(_ environment: [String: String]) -> ReportLanguage {
        for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let value = environment[name], !value.isEmpty { return value.hasPrefix("ja") ? .ja : .en }
        }
        return .en
    }

    public func text(_ localized: LocalizedText) -> String {
        self == .ja ? localized.ja : localized.en
    }

    func pick(_ ja: String, _ en: String) -> String {
        self == .ja ? ja : en
    }

    func status(_ status: ControlStatus) -> String {
        switch (self, status) {
        case (.ja, .pass): "適合"
        case (.ja, .fail): "不適合"
        case (.ja, .notApplicable): "対象外"
        case (.ja, .manual): "要確認"
        case (.en, .pass): "pass"
        case (.en, .fail): "fail"
        case (.en, .notApplicable): "not applicable"
        case (.en, .manual): "manual"
        }
    }
}

extension ReportLanguage {
    /// The names people read for csirt's categories, severities and segments (English keeps the
    /// CLI's names, which are English already).
    func name(_ category: IncidentCategory) -> String {
        guard self == .ja else { return category.rawValue }
        switch category {
        case .malware: return "マルウェア感染"
        case .ransomware: return "ランサムウェア"
        case .unauthorizedAccess: return "不正アクセス"
        case .informationLeak: return "情報漏えい"
        case .insider: return "内部不正"
        case .lostMedia: return "媒体・機器の紛失・盗難"
        case .phishing: return "フィッシング・標的型メール"
        case .dos: return "サービス妨害（DoS）"
        case .webDefacement: return "Webページ改ざん"
        case .systemFailure: return "システム障害"
        case .naturalDisaster: return "自然災害"
        case .other: return "その他"
        }
    }

    func name(_ severity: Severity) -> String {
        switch severity {
        case .critical: pick("緊急", "critical")
        case .high: pick("高", "high")
        case .medium: pick("中", "medium")
        case .low: pick("低", "low")
        }
    }

    func name(_ segment: AffectedSegment) -> String {
        switch segment {
        case .mynumber: pick("マイナンバー利用事務系", "mynumber")
        case .lgwan: pick("LGWAN接続系", "lgwan")
        case .internet: pick("インターネット接続系", "internet")
        case .unknown: pick("不明", "unknown")
        }
    }
}
