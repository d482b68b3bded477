import Foundation
import Incidents
import XCTest

final class LifecycleTests: XCTestCase {
    /// Every status × every transition: exactly these are legal.
    func testEveryLegalAndIllegalTransition() {
        let legal: [IncidentStatus: [Transition: IncidentStatus]] = [
            .reported: [.advance(to: .triage): .triage],
            .triage: [.advance(to: .containment): .containment, .reject: .rejected],
            .containment: [.advance(to: .eradication): .eradication],
            .eradication: [.advance(to: .recovery): .recovery],
            .recovery: [.close: .closed],
            .closed: [.reopen: .triage],
            .rejected: [:],
        ]
        let transitions: [Transition] = IncidentStatus.allCases.map { .advance(to: $0) } + [.reject, .close, .reopen]
        var checked = 0
        for status in IncidentStatus.allCases {
            for transition in transitions {
                XCTAssertEqual(Transition.target(of: transition, from: status), legal[status]?[transition],
                               "\(transition.verb) from \(status.rawValue)")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 7 * 10)
    }

    func testApplyingRecordsMilestones() {
        let detected = Date(timeIntervalSince1970: 1_700_000_000)
        var incident = Incident(id: IncidentID(year: 2026, number: 1), title: "t", category: .malware, severity: .high,
                                reporter: "a", detectedAt: detected, reportedAt: detected)
        let steps: [(Transition, TimeInterval)] = [(.advance(to: .triage), 60), (.advance(to: .containment), 120),
                                                    (.advance(to: .eradication), 3600), (.advance(to: .recovery), 7200), (.close, 9000)]
        for (transition, offset) in steps {
            incident = incident.applying(transition, at: detected.addingTimeInterval(offset))!
        }
        XCTAssertEqual(incident.status, .closed)
        XCTAssertEqual(incident.containedAt, detected.addingTimeInterval(3600))
        XCTAssertEqual(incident.closedAt, detected.addingTimeInterval(9000))
        XCTAssertEqual(incident.phaseEnteredAt[.containment], detected.addingTimeInterval(120))
        let reopened = incident.applying(.reopen, at: detected.addingTimeInterval(10_000))!
        XCTAssertEqual(reopened.status, .triage)
        XCTAssertNil(reopened.closedAt)
        XCTAssertNil(reopened.phaseEnteredAt[.containment], "a reopened incident goes through its phases again")
        XCTAssertNil(reopened.containedAt)
        XCTAssertNil(incident.applying(.reject, at: detected), "closed incidents are not rejected")
    }

    func testIncidentIDs() {
        XCTAssertEqual(IncidentID(year: 2026, number: 7).description, "INC-2026-0007")
        XCTAssertEqual(IncidentID(year: 2026, number: 12345).description, "INC-2026-12345")
        XCTAssertEqual(IncidentID("inc-2026-0042"), IncidentID(year: 2026, number: 42))
        for bad in ["INC-2026-42", "INC-26-0001", "INC-2026-0000", "2026-0001", "INC-2026-00x1", "INC-2026-0001-1", ""] {
            XCTAssertNil(IncidentID(bad), bad)
        }
    }

    func testDurations() throws {
        XCTAssertEqual(try ISODuration(parsing: "PT4H").seconds, 14_400)
        XCTAssertEqual(try ISODuration(parsing: "P1DT12H").seconds, 129_600)
        XCTAssertEqual(try ISODuration(parsing: "P2W").seconds, 1_209_600)
        XCTAssertEqual(try ISODuration(parsing: "PT90M").seconds, 5_400)
        XCTAssertThrowsError(try ISODuration(parsing: "P1M")) { XCTAssertEqual($0 as? ISODuration.ParseError, .variableLength("P1M")) }
        XCTAssertThrowsError(try ISODuration(parsing: "P1Y"))
        for bad in ["", "P", "PT", "4H", "P4H", "PT4D", "P1DT", "PT1H1H", "PT1M1H", "P-1D", "P1.5D", "PT0S", "P0D"] {
            XCTAssertThrowsError(try ISODuration(parsing: bad), bad)
        }
    }
}
