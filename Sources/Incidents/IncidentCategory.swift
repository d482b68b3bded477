/// Kinds of incident. They cover what municipal DX strategies list (virus infection, unauthorized
/// access, lost recording media, natural disaster, equipment failure, insider leaks) and the
/// usual CSIRT taxonomy.
public enum IncidentCategory: String, Sendable, CaseIterable, Codable {
    case malware
    case ransomware
    case unauthorizedAccess = "unauthorized-access"
    case informationLeak = "information-leak"
    case insider
    /// Lost or stolen media or devices (記録媒体の紛失・盗難).
    case lostMedia = "lost-media"
    case phishing
    case dos
    case webDefacement = "web-defacement"
    /// Equipment failure (設備不良) and other outages.
    case systemFailure = "system-failure"
    case naturalDisaster = "natural-disaster"
    case other

    /// Whether a personal-data leak of this kind is presumed to have a wrongful purpose (不正の目的),
    /// which makes the final report to the PPC due in 60 days instead of 30.
    public var presumesWrongfulPurpose: Bool {
        switch self {
        case .malware, .ransomware, .unauthorizedAccess, .insider, .phishing, .webDefacement: return true
        case .informationLeak, .lostMedia, .dos, .systemFailure, .naturalDisaster, .other: return false
        }
    }
}

/// Severity 1–4, with triage guidance in docs/incidents.md.
public enum Severity: Int, Sendable, CaseIterable, Codable, Comparable {
    case low = 1, medium, high, critical

    public var name: String {
        switch self {
        case .low: return "low"
        case .medium: return "medium"
        case .high: return "high"
        case .critical: return "critical"
        }
    }

    /// Accepts the name or the number.
    public init?(name: String) {
        if let number = Int(name), let severity = Severity(rawValue: number) {
            self = severity
            return
        }
        guard let severity = Severity.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = severity
    }

    public static func < (a: Severity, b: Severity) -> Bool { a.rawValue < b.rawValue }
}

/// The segment of the three-layer model an incident affects.
public enum AffectedSegment: String, Sendable, CaseIterable, Codable {
    case mynumber, lgwan, internet, unknown
}
