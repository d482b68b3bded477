import Foundation

/// Turns a playbook and an incident into tasks with due times, and recomputes what is not done
/// yet when the incident changes (category, detection time, phase, personal data).
public enum TaskPlanner {
    /// Every task the incident should have now. Due times count from detection, or from when the
    /// incident entered the step's phase (nil until then).
    public static func plan(_ incident: Incident, playbook: Playbook?, rules: ReportingRules) -> [IncidentTask] {
        var tasks: [IncidentTask] = []
        var position = 0
        if let playbook {
            for (phase, step) in playbook.steps {
                let anchor: Date? = step.from == .detection ? incident.detectedAt : incident.phaseEnteredAt[phase]
                let due = step.due.flatMap { duration in anchor.map { $0.addingTimeInterval(TimeInterval(duration.seconds)) } }
                tasks.append(IncidentTask(id: step.id, kind: .step, phase: phase, title: step.title, owner: step.role.rawValue,
                                          required: step.required, evidenceRequired: step.evidenceRequired, dueAt: due, position: position))
                position += 1
            }
            for notification in playbook.notifications
            where notification.when.holds(severity: incident.severity, hasPersonalData: incident.personalData != nil, segment: incident.segment) {
                tasks.append(IncidentTask(id: notification.id, kind: .notification, phase: nil, title: notification.title,
                                          owner: notification.to.rawValue, required: true, evidenceRequired: false,
                                          dueAt: incident.detectedAt.addingTimeInterval(TimeInterval(notification.due.seconds)), position: position))
                position += 1
            }
        }
        tasks += LegalReporting.reports(for: incident, rules: rules)
        return tasks
    }

    /// Recomputes the plan, keeping what was done or skipped as it was. Open tasks get new due
    /// times; open tasks the new plan no longer has (a condition no longer holds, another
    /// playbook) are dropped.
    public static func replan(_ existing: [IncidentTask], incident: Incident, playbook: Playbook?, rules: ReportingRules) -> [IncidentTask] {
        let fresh = plan(incident, playbook: playbook, rules: rules)
        let finished = Dictionary(existing.filter { $0.state != .open }.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var result = fresh.map { finished[$0.id] ?? $0 }
        let kept = Set(result.map(\.id))
        // Finished tasks of an earlier plan stay on record.
        result += existing.filter { $0.state != .open && !kept.contains($0.id) }
        return result.sorted { ($0.position, $0.id) < ($1.position, $1.id) }
    }
}
