import Foundation
import Incidents
import XCTest

final class TaskPlannerTests: XCTestCase {
    let detected = Date(timeIntervalSince1970: 1_790_000_000)

    func playbook(_ id: String, categories: [IncidentCategory]) -> Playbook {
        let text = LocalizedText(ja: "手順", en: "step")
        return Playbook(id: id, version: 1, title: text, categories: categories, phases: [
            .init(phase: .triage, steps: [PlaybookStep(id: "\(id)-confirm", title: text, instructions: text, role: .responder, due: .init(seconds: 3600), from: .detection)]),
            .init(phase: .containment, steps: [PlaybookStep(id: "\(id)-isolate", title: text, instructions: text, role: .responder, evidenceRequired: true, due: .init(seconds: 7200))]),
        ], notifications: [
            PlaybookNotification(id: "\(id)-ciso", to: .ciso, title: text, due: .init(seconds: 14_400)),
            PlaybookNotification(id: "\(id)-prefecture", to: .prefecture, title: text, due: .days(1), when: Condition(minSeverity: .high)),
            PlaybookNotification(id: "\(id)-residents", to: .residents, title: text, due: .days(3), when: Condition(personalData: true, segments: [.mynumber])),
        ])
    }

    func incident(severity: Severity = .medium) -> Incident {
        Incident(id: IncidentID(year: 2026, number: 1), title: "t", category: .malware, severity: severity, segment: .mynumber,
                 reporter: "a", detectedAt: detected, reportedAt: detected.addingTimeInterval(600))
    }

    func testDueTimesFromDetectionAndFromPhaseEntry() {
        var incident = incident()
        let tasks = TaskPlanner.plan(incident, playbook: playbook("m", categories: [.malware]), rules: .standard)
        XCTAssertEqual(tasks.map(\.id), ["m-confirm", "m-isolate", "m-ciso"], "conditional notifications left out")
        XCTAssertEqual(tasks[0].dueAt, detected.addingTimeInterval(3600))
        XCTAssertNil(tasks[1].dueAt, "containment has not started")
        XCTAssertEqual(tasks[2].dueAt, detected.addingTimeInterval(14_400))

        incident = incident.applying(.advance(to: .triage), at: detected.addingTimeInterval(1000))!
        incident = incident.applying(.advance(to: .containment), at: detected.addingTimeInterval(5000))!
        let replanned = TaskPlanner.replan(tasks, incident: incident, playbook: playbook("m", categories: [.malware]), rules: .standard)
        XCTAssertEqual(replanned.first { $0.id == "m-isolate" }?.dueAt, detected.addingTimeInterval(5000 + 7200))
    }

    func testConditionsAndReplanKeepFinishedWork() {
        var incident = incident(severity: .critical)
        incident.personalData = PersonalData(people: 20)
        let book = playbook("m", categories: [.malware])
        var tasks = TaskPlanner.plan(incident, playbook: book, rules: .standard)
        XCTAssertEqual(Set(tasks.map(\.id)), ["m-confirm", "m-isolate", "m-ciso", "m-prefecture", "m-residents", "ppc-preliminary", "ppc-final"])
        tasks[0].state = .done
        tasks[0].completedBy = "tanaka"

        // A later detection time moves what is open, not what is done.
        incident.detectedAt = detected.addingTimeInterval(-86_400)
        let moved = TaskPlanner.replan(tasks, incident: incident, playbook: book, rules: .standard)
        XCTAssertEqual(moved.first { $0.id == "m-confirm" }, tasks[0])
        XCTAssertEqual(moved.first { $0.id == "m-ciso" }?.dueAt, detected.addingTimeInterval(-86_400 + 14_400))

        // Another category, another playbook: its steps replace the old open ones; done work stays on record.
        let other = playbook("p", categories: [.phishing])
        incident.severity = .low
        incident.personalData = nil
        let switched = TaskPlanner.replan(tasks, incident: incident, playbook: other, rules: .standard)
        XCTAssertEqual(switched.map(\.id), ["m-confirm", "p-confirm", "p-isolate", "p-ciso"])
    }
}
