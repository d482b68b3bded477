import Foundation

/// Reporting a personal-data leak to the Personal Information Protection Commission
/// (個人情報保護委員会), as the amended Act on the Protection of Personal Information (in force
/// April 2022) requires of public bodies such as municipalities (Art. 68; PPC Rules Art. 43–44).
/// Sources and the counting rules are in docs/incidents.md.
public struct ReportingRules: Sendable, Equatable, Codable {
    /// 速報 "promptly": csirt's default is 3 days from awareness, configurable.
    public var preliminaryDays: Int
    /// 確報: 30 days from awareness.
    public var finalDays: Int
    /// 確報 when the leak may have been for a wrongful purpose (不正の目的): 60 days.
    public var finalDaysWrongfulPurpose: Int
    /// Public bodies report leaks affecting more than 100 people (businesses: 1,000).
    public var peopleThreshold: Int
    /// The zone whose calendar days the deadlines count (the municipality's own).
    public var timeZoneIdentifier: String

    public init(preliminaryDays: Int = 3, finalDays: Int = 30, finalDaysWrongfulPurpose: Int = 60, peopleThreshold: Int = 100,
                timeZoneIdentifier: String = "Asia/Tokyo") {
        self.preliminaryDays = preliminaryDays
        self.finalDays = finalDays
        self.finalDaysWrongfulPurpose = finalDaysWrongfulPurpose
        self.peopleThreshold = peopleThreshold
        self.timeZoneIdentifier = timeZoneIdentifier
    }

    public static let standard = ReportingRules()

    /// The Gregorian calendar in the rules' zone (Asia/Tokyo when the identifier is unknown).
    public var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZoneIdentifier) ?? TimeZone(identifier: "Asia/Tokyo")!
        return calendar
    }
}

public enum LegalReporting {
    /// Why a leak is reportable (empty: it is not). Encrypted data is exempt.
    public static func reasons(for data: PersonalData?, category: IncidentCategory, rules: ReportingRules) -> [String] {
        guard let data, !data.encrypted else { return [] }
        var reasons: [String] = []
        if data.specialCare { reasons.append("special-care data (要配慮個人情報)") }
        if data.financialHarm { reasons.append("risk of financial harm (財産的被害)") }
        if wrongfulPurpose(data, category) { reasons.append("possible wrongful purpose (不正の目的)") }
        if data.people > rules.peopleThreshold { reasons.append("more than \(rules.peopleThreshold) people (\(data.people))") }
        return reasons
    }

    static func wrongfulPurpose(_ data: PersonalData, _ category: IncidentCategory) -> Bool {
        data.wrongfulPurpose ?? category.presumesWrongfulPurpose
    }

    /// The end of the `days`-th calendar day after the day of `awareness`, in the rules' zone:
    /// the day of awareness itself is not counted unless the period starts at 00:00 (Civil Code
    /// Art. 140), and the period ends at 24:00 of its last day (Art. 141).
    public static func deadline(days: Int, after awareness: Date, rules: ReportingRules) -> Date {
        let calendar = rules.calendar
        let startOfAwarenessDay = calendar.startOfDay(for: awareness)
        let firstDayCounts = startOfAwarenessDay == awareness
        return calendar.date(byAdding: .day, value: firstDayCounts ? days : days + 1, to: startOfAwarenessDay)!
    }

    /// The reports to make, with their deadlines; none when the leak is not reportable.
    public static func reports(for incident: Incident, rules: ReportingRules) -> [IncidentTask] {
        let reasons = reasons(for: incident.personalData, category: incident.category, rules: rules)
        guard let data = incident.personalData, !reasons.isEmpty else { return [] }
        let finalDays = wrongfulPurpose(data, incident.category) ? rules.finalDaysWrongfulPurpose : rules.finalDays
        let why = reasons.joined(separator: "; ")
        return [
            IncidentTask(id: "ppc-preliminary", kind: .legal, phase: nil,
                         title: LocalizedText(ja: "個人情報保護委員会への速報", en: "Preliminary report to the PPC (速報) — \(why)"),
                         owner: Recipient.ppc.rawValue, required: true, evidenceRequired: true,
                         dueAt: deadline(days: rules.preliminaryDays, after: incident.detectedAt, rules: rules), position: 10_000),
            IncidentTask(id: "ppc-final", kind: .legal, phase: nil,
                         title: LocalizedText(ja: "個人情報保護委員会への確報（\(finalDays)日以内）", en: "Final report to the PPC (確報), within \(finalDays) days"),
                         owner: Recipient.ppc.rawValue, required: true, evidenceRequired: true,
                         dueAt: deadline(days: finalDays, after: incident.detectedAt, rules: rules), position: 10_001),
        ]
    }
}
