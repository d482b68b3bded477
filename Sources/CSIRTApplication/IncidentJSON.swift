import CanonicalJSON
import Foundation
import Incidents

/// Incidents written straight to canonical JSON bytes: the same bytes as
/// `CanonicalJSON.serialize(IncidentRepresentation.json(…))` (a test holds them equal), without
/// building and sorting a dictionary per object. The API lists and shows incidents with it; the
/// keys below are written in their canonical (UTF-8) order.
public enum IncidentJSON {
    public static func write(_ incident: Incident, to out: inout [UInt8]) {
        write(incident, tasks: nil, timeline: nil, at: nil, to: &out)
    }

    public static func write(_ detail: IncidentDetail, at now: Date, to out: inout [UInt8]) {
        write(detail.incident, tasks: detail.tasks, timeline: detail.timeline, at: now, to: &out)
    }

    static func write(_ incident: Incident, tasks: [IncidentTask]?, timeline: [TimelineEvent]?, at now: Date?, to out: inout [UInt8]) {
        var object = ObjectWriter(into: &out)
        object.key("assets"); object.strings(incident.assets)
        object.key("assignee"); object.string(incident.assignee)
        object.key("category"); object.string(incident.category.rawValue)
        object.key("closed_at"); object.time(incident.closedAt)
        object.key("contained_at"); object.time(incident.containedAt)
        object.key("description"); object.string(incident.description)
        object.key("detected_at"); object.time(incident.detectedAt)
        object.key("id"); object.string(incident.id.description)
        object.key("personal_data")
        if let data = incident.personalData {
            var nested = object.nested()
            nested.key("encrypted"); nested.bool(data.encrypted)
            nested.key("financial_harm"); nested.bool(data.financialHarm)
            nested.key("kinds"); nested.strings(data.kinds)
            nested.key("people"); nested.integer(data.people)
            nested.key("special_care"); nested.bool(data.specialCare)
            nested.key("wrongful_purpose"); nested.bool(data.wrongfulPurpose ?? incident.category.presumesWrongfulPurpose)
            object.end(&nested)
        } else {
            object.null()
        }
        object.key("playbook"); object.string(incident.playbookID)
        object.key("recovered_at"); object.time(incident.recoveredAt)
        object.key("reported_at"); object.time(incident.reportedAt)
        object.key("reporter"); object.string(incident.reporter)
        object.key("segment"); object.string(incident.segment.rawValue)
        object.key("severity"); object.string(incident.severity.name)
        object.key("status"); object.string(incident.status.rawValue)
        object.key("tags"); object.strings(incident.tags)
        if let tasks {
            object.key("tasks")
            object.raw(UInt8(ascii: "["))
            for (index, task) in tasks.enumerated() {
                if index > 0 { object.raw(UInt8(ascii: ",")) }
                var nested = object.nested()
                nested.key("completed_at"); nested.time(task.completedAt)
                nested.key("completed_by"); nested.string(task.completedBy)
                nested.key("due_at"); nested.time(task.dueAt)
                nested.key("evidence"); nested.string(task.evidence)
                nested.key("evidence_required"); nested.bool(task.evidenceRequired)
                nested.key("id"); nested.string(task.id)
                nested.key("kind"); nested.string(task.kind.rawValue)
                if let now { nested.key("overdue"); nested.bool(task.isOverdue(at: now)) }
                nested.key("owner"); nested.string(task.owner)
                nested.key("phase"); nested.string(task.phase?.rawValue)
                nested.key("reason"); nested.string(task.reason)
                nested.key("required"); nested.bool(task.required)
                nested.key("state"); nested.string(task.state.rawValue)
                nested.key("title_en"); nested.string(task.title.en)
                nested.key("title_ja"); nested.string(task.title.ja)
                object.end(&nested)
            }
            object.raw(UInt8(ascii: "]"))
        }
        if let timeline {
            object.key("timeline")
            object.raw(UInt8(ascii: "["))
            for (index, event) in timeline.enumerated() {
                if index > 0 { object.raw(UInt8(ascii: ",")) }
                var nested = object.nested()
                nested.key("author"); nested.string(event.author)
                nested.key("kind"); nested.string(event.kind.rawValue)
                nested.key("text"); nested.string(event.text)
                nested.key("time"); nested.time(event.time)
                object.end(&nested)
            }
            object.raw(UInt8(ascii: "]"))
        }
        object.key("title"); object.string(incident.title)
        object.key("version"); object.integer(incident.version)
        out = object.finish()
    }

    /// Writes one object's members in the order given (the caller gives canonical order).
    struct ObjectWriter {
        var out: [UInt8]
        var first = true

        /// Takes the buffer over (no copy: the caller's reference is dropped before appending).
        init(into buffer: inout [UInt8]) {
            out = buffer
            buffer = []
            out.append(UInt8(ascii: "{"))
        }

        mutating func key(_ name: StaticString) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "\""))
            name.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }

        mutating func raw(_ byte: UInt8) { out.append(byte) }
        mutating func null() { out.append(contentsOf: [0x6e, 0x75, 0x6c, 0x6c]) }
        mutating func bool(_ flag: Bool) { out.append(contentsOf: flag ? Array("true".utf8) : Array("false".utf8)) }
        mutating func integer(_ number: Int) { out.append(contentsOf: String(number).utf8) }

        mutating func string(_ text: String?) {
            guard let text else { return null() }
            CanonicalJSON.writeString(text, to: &out)
        }

        mutating func strings(_ texts: [String]) {
            out.append(UInt8(ascii: "["))
            for (index, text) in texts.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                CanonicalJSON.writeString(text, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }

        mutating func time(_ date: Date?) {
            guard let date else { return null() }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: RFC3339.format(date).utf8)
            out.append(UInt8(ascii: "\""))
        }

        /// A nested object written into this one's buffer.
        mutating func nested() -> ObjectWriter {
            ObjectWriter(into: &out)
        }

        mutating func end(_ nested: inout ObjectWriter) {
            out = nested.finish()
        }

        mutating func finish() -> [UInt8] {
            out.append(UInt8(ascii: "}"))
            let done = out
            out = []
            return done
        }
    }
}
