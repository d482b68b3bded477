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
