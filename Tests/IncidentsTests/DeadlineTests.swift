import Foundation
import Incidents
import XCTest

final class DeadlineTests: XCTestCase {
    func date(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text)!
    }

    func incident(_ category: IncidentCategory = .informationLeak, data: PersonalData?, detected: String) -> Incident {
        let time = date(detected)
        return Incident(id: IncidentID(year: 2026, number: 1), title: "t", category: category, severity: .high, personalData: data,
                        reporter: "a", detectedAt: time, reportedAt: time)
    }

    func testWhenALeakIsReportable() {
        let rules = ReportingRules.standard
        XCTAssertTrue(LegalReporting.reasons(for: nil, category: .informationLeak, rules: rules).isEmpty)
        XCTAssertTrue(LegalReporting.reasons(for: PersonalData(people: 100), category: .informationLeak, rules: rules).isEmpty, "100 is not more than 100")
        XCTAssertEqual(LegalReporting.reasons(for: PersonalData(people: 101), category: .informationLeak, rules: rules).count, 1)
        XCTAssertFalse(LegalReporting.reasons(for: PersonalData(people: 1, specialCare: true), category: .lostMedia, rules: rules).isEmpty)
        XCTAssertFalse(LegalReporting.reasons(for: PersonalData(people: 1, financialHarm: true), category: .lostMedia, rules: rules).isEmpty)
        XCTAssertFalse(LegalReporting.reasons(for: PersonalData(people: 1), category: .unauthorizedAccess, rules: rules).isEmpty, "wrongful purpose presumed")
        XCTAssertTrue(LegalReporting.reasons(for: PersonalData(people: 1, wrongfulPurpose: false), category: .unauthorizedAccess, rules: rules).isEmpty)
        XCTAssertTrue(LegalReporting.reasons(for: PersonalData(people: 5000, specialCare: true, encrypted: true), category: .lostMedia, rules: rules).isEmpty,
                      "strongly encrypted data is exempt")
    }

    /// Days count in Japan's calendar whatever the server's zone; the day of awareness is not counted.
    func testDeadlinesCountCalendarDaysInTheMunicipalitysZone() {
        let rules = ReportingRules.standard
        // 2026-11-20 23:30 JST (14:30 UTC): day 1 is Nov 21, so 3 days end at Nov 23 24:00 JST.
        let late = incident(data: PersonalData(people: 500), detected: "2026-11-20T14:30:00Z")
        let reports = LegalReporting.reports(for: late, rules: rules)
        XCTAssertEqual(reports.map(\.id), ["ppc-preliminary", "ppc-final"])
        XCTAssertEqual(reports[0].dueAt, date("2026-11-23T15:00:00Z"))
        XCTAssertEqual(reports[1].dueAt, date("2026-12-20T15:00:00Z"), "30 days: Dec 20 24:00 JST")
        // 2026-11-20 16:30 UTC is already Nov 21 in Japan: everything moves a day.
        let nextDay = incident(data: PersonalData(people: 500), detected: "2026-11-20T16:30:00Z")
        XCTAssertEqual(LegalReporting.reports(for: nextDay, rules: rules)[0].dueAt, date("2026-11-24T15:00:00Z"))
        // Another zone, another calendar.
        var utcRules = rules
        utcRules.timeZoneIdentifier = "UTC"
        XCTAssertEqual(LegalReporting.reports(for: late, rules: utcRules)[0].dueAt, date("2026-11-24T00:00:00Z"))
    }

    /// Civil Code Art. 140: a period that starts at 00:00 counts its first day.
    func testAPeriodStartingAtMidnightCountsItsFirstDay() {
        let midnight = incident(data: PersonalData(people: 500), detected: "2026-11-19T15:00:00Z")  // 2026-11-20 00:00 JST
        XCTAssertEqual(LegalReporting.reports(for: midnight, rules: .standard)[0].dueAt, date("2026-11-22T15:00:00Z"), "Nov 20, 21, 22")
        let aSecondLater = incident(data: PersonalData(people: 500), detected: "2026-11-19T15:00:01Z")
        XCTAssertEqual(LegalReporting.reports(for: aSecondLater, rules: .standard)[0].dueAt, date("2026-11-23T15:00:00Z"), "Nov 21, 22, 23")
    }

    func testWrongfulPurposeGivesSixtyDays() {
        let rules = ReportingRules.standard
        let intrusion = incident(.unauthorizedAccess, data: PersonalData(people: 3), detected: "2026-11-20T01:00:00Z")
        let final = LegalReporting.reports(for: intrusion, rules: rules)[1]
        XCTAssertEqual(final.dueAt, date("2027-01-19T15:00:00Z"), "60 days from Nov 20 JST ends Jan 19 24:00 JST")
        XCTAssertTrue(final.title.en.contains("60 days"))
        let mistake = incident(.informationLeak, data: PersonalData(people: 300, wrongfulPurpose: false), detected: "2026-11-20T01:00:00Z")
        XCTAssertEqual(LegalReporting.reports(for: mistake, rules: rules)[1].dueAt, date("2026-12-20T15:00:00Z"))
    }

    func testConfigurablePreliminaryDeadline() {
        var rules = ReportingRules.standard
        rules.preliminaryDays = 5
        let leak = incident(data: PersonalData(people: 500), detected: "2026-11-20T01:00:00Z")
        XCTAssertEqual(LegalReporting.reports(for: leak, rules: rules)[0].dueAt, date("2026-11-25T15:00:00Z"))
    }
}
