import CanonicalJSON
import Foundation
import Incidents

/// Incidents as JSON values and CSV rows: one representation for the CLI's output, exports and
/// (later) the HTTP API. Times are RFC 3339 in UTC.
public enum IncidentRepresentation {
    static func time(_ date: Date?) -> JSONValue {
        date.map { .string(RFC3339.format($0)) } ?? .null
    }

    public static func json(_ incident: Incident) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(incident.id.description),
            "title": .string(incident.title),
            "description": .string(incident.description),
            "category": .string(incident.category.rawValue),
            "severity": .string(incident.severity.name),
            "segment": .string(incident.segment.rawValue),
            "assets": .array(incident.assets.map { .string($0) }),
            "reporter": .string(incident.reporter),
            "assignee": incident.assignee.map { .string($0) } ?? .null,
            "status": .string(incident.status.rawValue),
            "detected_at": time(incident.detectedAt),
            "reported_at": time(incident.reportedAt),
            "contained_at": time(incident.containedAt),
            "recovered_at": time(incident.recoveredAt),
            "closed_at": time(incident.closedAt),
            "tags": .array(incident.tags.map { .string($0) }),
            "playbook": incident.playbookID.map { .string($0) } ?? .null,
            "version": .integer(Int64(incident.version)),
        ]
        if let data = incident.personalData {
            var personal: [String: JSONValue] = [
                "people": .integer(Int64(data.people)), "kinds": .array(data.kinds.map { .string($0) }),
                "special_care": .bool(data.specialCare), "financial_harm": .bool(data.financialHarm), "encrypted": .bool(data.encrypted),
            ]
            personal["wrongful_purpose"] = .bool(data.wrongfulPurpose ?? incident.category.presumesWrongfulPurpose)
            object["personal_data"] = .object(personal)
        } else {
            object["personal_data"] = .null
        }
        return .object(object)
    }

    public static func json(_ task: IncidentTask, at now: Date? = nil) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(task.id), "kind": .string(task.kind.rawValue), "phase": task.phase.map { .string($0.rawValue) } ?? .null,
            "title_ja": .string(task.title.ja), "title_en": .string(task.title.en), "owner": .string(task.owner),
            "required": .bool(task.required), "evidence_required": .bool(task.evidenceRequired), "due_at": time(task.dueAt),
            "state": .string(task.state.rawValue), "evidence": task.evidence.map { .string($0) } ?? .null,
            "reason": task.reason.map { .string($0) } ?? .null, "completed_at": time(task.completedAt),
            "completed_by": task.completedBy.map { .string($0) } ?? .null,
        ]
        if let now { object["overdue"] = .bool(task.isOverdue(at: now)) }
        return .object(object)
    }

    public static func json(_ event: TimelineEvent) -> JSONValue {
        ["time": time(event.time), "author": .string(event.author), "kind": .string(event.kind.rawValue), "text": .string(event.text)]
    }

    public static func json(_ detail: IncidentDetail, at now: Date) -> JSONValue {
        guard case .object(var object) = json(detail.incident) else { return .null }
        object["tasks"] = .array(detail.tasks.map { json($0, at: now) })
        object["timeline"] = .array(detail.timeline.map(json))
        return .object(object)
    }

    public static func json(_ item: OverdueItem) -> JSONValue {
        ["incident": .string(item.incidentID), "incident_title": .string(item.incidentTitle), "severity": .string(item.severity.name),
         "status": .string(item.status.rawValue), "assignee": item.assignee.map { .string($0) } ?? .null,
         "task": json(item.task), "overdue_seconds": .integer(Int64(item.overdueBy.rounded()))]
    }

    public static let csvHeader = ["id", "title", "category", "severity", "segment", "status", "assignee", "reporter", "detected_at",
                                   "reported_at", "contained_at", "recovered_at", "closed_at", "personal_data_people", "tags", "playbook", "version"]

    public static func csvRow(_ incident: Incident) -> [String] {
        func t(_ date: Date?) -> String { date.map(RFC3339.format) ?? "" }
        return [incident.id.description, incident.title, incident.category.rawValue, incident.severity.name, incident.segment.rawValue,
                incident.status.rawValue, incident.assignee ?? "", incident.reporter, t(incident.detectedAt), t(incident.reportedAt),
                t(incident.containedAt), t(incident.recoveredAt), t(incident.closedAt), incident.personalData.map { String($0.people) } ?? "",
                incident.tags.joined(separator: ";"), incident.playbookID ?? "", String(incident.version)]
    }

    /// RFC 4180: quote fields with commas, quotes or line breaks; double inner quotes. A leading
    /// =, +, - or @ is prefixed with ' so that spreadsheets do not run it as a formula.
    public static func csvLine(_ fields: [String]) -> String {
        fields.map { field in
            var value = field
            if let first = value.first, "=+-@".contains(first) { value = "'" + value }
            if value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
                return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return value
        }.joined(separator: ",")
    }
}
