import AuditLog
import CanonicalJSON
import CSIRTCrypto
import CSIRTStore
import Foundation
import GRDB
import Incidents

/// What a new incident needs; the rest has defaults.
public struct NewIncident: Sendable {
    public var title: String
    public var description: String = ""
    public var category: IncidentCategory
    public var severity: Severity
    public var segment: AffectedSegment = .unknown
    public var assets: [String] = []
    public var personalData: PersonalData? = nil
    /// Default: the actor.
    public var reporter: String? = nil
    public var assignee: String? = nil
    /// Default: now.
    public var detectedAt: Date? = nil
    public var tags: [String] = []
    /// Default: the playbook for the category.
    public var playbookID: String? = nil

    public init(title: String, category: IncidentCategory, severity: Severity) {
        self.title = title
        self.category = category
        self.severity = severity
    }
}

/// An incident with its tasks and timeline.
public struct IncidentDetail: Sendable {
    public var incident: Incident
    public var playbook: Playbook?
    public var tasks: [IncidentTask]
    public var timeline: [TimelineEvent]
}

/// Changes `csirt incident update` can make; nil leaves a field as it is.
public struct IncidentChanges: Sendable {
    public var title: String?
    public var description: String?
    public var category: IncidentCategory?
    public var severity: Severity?
    public var segment: AffectedSegment?
    public var assets: [String]?
    public var detectedAt: Date?
    public var tags: [String]?
    /// `.some(nil)` removes personal data.
    public var personalData: PersonalData??

    public init() {}

    public var isEmpty: Bool {
        title == nil && description == nil && category == nil && severity == nil && segment == nil && assets == nil
            && detectedAt == nil && tags == nil && personalData == nil
    }
}

public enum StepOutcome: Sendable {
    case done(evidence: String?)
    case skipped(reason: String)
}

extension Application {
    static func json(_ data: PersonalData) -> JSONValue {
        var object: [String: JSONValue] = [
            "people": .integer(Int64(data.people)), "kinds": .array(data.kinds.map { .string($0) }),
            "special_care": .bool(data.specialCare), "financial_harm": .bool(data.financialHarm), "encrypted": .bool(data.encrypted),
        ]
        object["wrongful_purpose"] = data.wrongfulPurpose.map { .bool($0) } ?? .null
        return .object(object)
    }

    // MARK: Reading

    /// `withPlaybook: false` leaves `playbook` nil (the API's JSON does not carry it).
    public func incident(_ id: String, withPlaybook: Bool = true) throws(CSIRTError) -> IncidentDetail {
        let key = try Self.incidentID(id)
        return try mapErrors {
            try database.read { db in
                let statement = try db.cachedStatement(sql: "SELECT \(IncidentRecord.listSelection) FROM incident WHERE id = ?")
                guard let row = try Row.fetchOne(statement, arguments: [key.description]) else { throw Self.unknownIncident(key) }
                return try detail(IncidentRecord(listRow: row), withPlaybook: withPlaybook, db)
            }
        }
    }

    func detail(_ record: IncidentRecord, withPlaybook: Bool = true, _ db: Database) throws -> IncidentDetail {
        // Cached statements: this runs on every read of an incident.
        let tasks = try Row.fetchAll(db.cachedStatement(sql: "SELECT \(IncidentTaskRecord.selection) FROM incidentTask WHERE incidentID = ? ORDER BY position, taskID"),
                                     arguments: [record.id]).map(IncidentTaskRecord.init(selectedRow:))
        let events = try IncidentEventRecord.fetchAll(db.cachedStatement(sql: "SELECT * FROM incidentEvent WHERE incidentID = ? ORDER BY id"),
                                                      arguments: [record.id])
        return IncidentDetail(incident: try IncidentMapping.incident(record), playbook: withPlaybook ? try IncidentMapping.playbook(record, db) : nil,
                              tasks: tasks.map(IncidentMapping.task), timeline: events.map(IncidentMapping.event))
    }

    /// The stored row of incident `id`, or nil.
    static func record(_ id: String, _ db: Database) throws -> IncidentRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(IncidentRecord.listSelection) FROM incident WHERE id = ?"), arguments: [id])
            .map(IncidentRecord.init(listRow:))
    }

    /// An incident this transaction has just written.
    static func stored(_ id: String, _ db: Database) throws -> IncidentRecord {
        guard let record = try record(id, db) else { throw CSIRTError(.failed, "\(id): just written, but not found") }
        return record
    }

    static func incidentID(_ text: String) throws(CSIRTError) -> IncidentID {
        guard let id = IncidentID(text) else { throw CSIRTError(.notFound, "\"\(text)\" is not an incident id (INC-YYYY-NNNN)") }
        return id
    }

    static func unknownIncident(_ id: IncidentID) -> CSIRTError {
        CSIRTError(.notFound, "\(id): no such incident")
    }

    public func playbookCatalog() throws(CSIRTError) -> PlaybookCatalog {
        try PlaybookCatalog.load(directory: PlaybookCatalog.defaultDirectory(home: home))
    }

    /// The rules for personal-data reports, with the home's settings applied.
    public func reportingRules() throws(CSIRTError) -> ReportingRules {
        try mapErrors {
            try database.read { db in try Self.reportingRules(db) }
        }
    }

    /// The same inside a transaction: a change reads the rules in the snapshot it writes to.
    static func reportingRules(_ db: Database) throws -> ReportingRules {
        var rules = ReportingRules.standard
        let statement = try db.cachedStatement(sql: "SELECT name, value FROM setting WHERE name IN (?, ?)")
        try statement.eachRow({ $0.text(SettingKey.ppcPreliminaryDays.rawValue); $0.text(SettingKey.legalTimeZone.rawValue) }) { row in
            guard let name = row.text(0), let value = row.text(1) else { return }
            if name == SettingKey.ppcPreliminaryDays.rawValue, let days = Int(value) { rules.preliminaryDays = days }
            if name == SettingKey.legalTimeZone.rawValue { rules.timeZoneIdentifier = value }
        }
        return rules
    }

    // MARK: Opening

    public func openIncident(_ new: NewIncident, actor: String) throws(CSIRTError) -> IncidentDetail {
        let title = new.title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty else { throw CSIRTError(.input, "the title is empty") }
        try Self.checkPersonalData(new.personalData)
        let catalog = try playbookCatalog()
        let playbook = try new.playbookID.map { id throws(CSIRTError) in try catalog.playbook(id: id) } ?? catalog.playbook(for: new.category)
        // Rounded as the store rounds them: the answer is built from these, not read back.
        let now = StoredTime.rounded(clock())
        let detectedAt = StoredTime.rounded(new.detectedAt ?? now)
        guard detectedAt <= now.addingTimeInterval(300) else {
            throw CSIRTError(.input, "the detection time \(TimeInput.format(detectedAt)) is in the future")
        }
        // Encoded (or found in the memo) before the write: the single writer is what everyone waits for.
        let snapshot = try mapErrors { try playbook.map(IncidentMapping.snapshot) }
        let (result, _) = try perform { db in
            let rules = try Self.reportingRules(db)
            let year = rules.calendar.component(.year, from: now)
            let id = IncidentID(year: year, number: try IncidentRecord.nextNumber(year: year, db))
            let incident = Incident(id: id, title: title, description: new.description, category: new.category, severity: new.severity,
                                    segment: new.segment, assets: new.assets, personalData: new.personalData, reporter: new.reporter ?? actor,
                                    assignee: new.assignee, detectedAt: detectedAt, reportedAt: now, tags: new.tags, playbookID: playbook?.id)
            let tasks = TaskPlanner.plan(incident, playbook: playbook, rules: rules)
            let opened = TimelineEvent(time: now, author: actor, kind: .opened,
                                       text: "opened as \(new.category.rawValue), \(new.severity.name)" + (playbook.map { " with playbook \($0.id) v\($0.version)" } ?? " without a playbook"))
            try save(incident, playbook: playbook, snapshot: snapshot, tasks: tasks, events: [opened], insert: true, db)
            var details: [String: JSONValue] = [
                "title": .string(title), "category": .string(new.category.rawValue), "severity": .string(new.severity.name),
                "segment": .string(new.segment.rawValue), "detected_at": .string(RFC3339.format(detectedAt)), "version": 1,
                "tasks": .integer(Int64(tasks.count)),
            ]
            if let playbook { details["playbook"] = .string("\(playbook.id)@\(playbook.version)") }
            if let data = new.personalData { details["personal_data"] = Self.json(data) }
            // What was just written, as a read would return it (a test holds POST's answer equal
            // to the GET that follows): re-reading it would cost the single writer a third of a change.
            let result = IncidentDetail(incident: incident, playbook: playbook, tasks: tasks.sorted { ($0.position, $0.id) < ($1.position, $1.id) },
                                        timeline: [opened])
            return Mutation(value: result, entry: AuditEntryDraft(actor: actor, action: "incident.open", target: id.description, details: details))
        }
        return result
    }

    static func checkPersonalData(_ data: PersonalData?) throws(CSIRTError) {
        guard let data else { return }
        guard data.people >= 1 else { throw CSIRTError(.input, "personal data: the number of people must be at least 1") }
    }

    // MARK: Changing

    /// Loads the incident, checks its version, lets `change` work on it, bumps the version, saves it
    /// with recomputed tasks and new timeline events, and writes one audit entry.
    func changeIncident(_ id: String, expectedVersion: Int?, actor: String, action: String,
                        _ change: (inout Incident, inout Playbook?, inout [IncidentTask], Date) throws -> (events: [TimelineEvent], details: [String: JSONValue]))
        throws(CSIRTError) -> IncidentDetail {
        let key = try Self.incidentID(id)
        let (result, _) = try perform { db in
            let rules = try Self.reportingRules(db)
            guard let record = try Self.record(key.description, db) else { throw Self.unknownIncident(key) }
            // Optimistic locking: a change based on a version someone else has since changed fails
            // instead of silently building on a state its author never saw.
            if let expectedVersion, record.version != expectedVersion {
                throw CSIRTError(.stale, "\(key): changed by someone else meanwhile (now version \(record.version), this change was based on version \(expectedVersion)); look at it again and retry")
            }
            var incident = try IncidentMapping.incident(record)
            let planned = try IncidentMapping.playbook(record, db)
            var playbook = planned
            var tasks = try IncidentTaskRecord.fetchAll(db.cachedStatement(sql: "SELECT * FROM incidentTask WHERE incidentID = ?"),
                                                        arguments: [record.id]).map(IncidentMapping.task)
            let now = clock()
            var (events, details) = try change(&incident, &playbook, &tasks, now)
            incident.version = record.version + 1
            tasks = TaskPlanner.replan(tasks, incident: incident, playbook: playbook, rules: rules)
            // The same playbook keeps its snapshot: a decoded snapshot need not encode to the same bytes.
            try save(incident, playbook: playbook, storedDigest: playbook == planned ? record.playbookDigest : nil, tasks: tasks, events: events,
                     insert: false, db)
            details["version"] = .integer(Int64(incident.version))
            var changed = try detail(try Self.stored(key.description, db), withPlaybook: false, db)
            changed.playbook = playbook
            return Mutation(value: changed, entry: AuditEntryDraft(actor: actor, action: action, target: key.description, details: details))
        }
        return result
    }

    /// Writes the incident, its tasks and new events. `storedDigest` names `playbook`'s snapshot
    /// when it is already stored; otherwise the snapshot (`snapshot`, or encoded here) is stored
    /// now if it is not yet (once per playbook version).
    private func save(_ incident: Incident, playbook: Playbook?, storedDigest: String? = nil, snapshot: IncidentMapping.EncodedSnapshot? = nil,
                      tasks: [IncidentTask], events: [TimelineEvent], insert: Bool, _ db: Database) throws {
        var digest = playbook == nil ? nil : storedDigest
        if let playbook, digest == nil {
            let snapshot = try snapshot ?? IncidentMapping.snapshot(playbook)
            try PlaybookSnapshot.save(digest: snapshot.digest, json: snapshot.json, db)
            digest = snapshot.digest
        }
        let record = try IncidentMapping.record(incident, playbook: playbook, playbookDigest: digest)
        try record.write(db, insert: insert)
        // Cached statements with plain arguments: an incident's tasks are rewritten on every change.
        if !insert {
            try db.cachedStatement(sql: "DELETE FROM incidentTask WHERE incidentID = ?").run { $0.text(record.id) }
        }
        let insertTask = try db.cachedStatement(sql: """
            INSERT INTO incidentTask (incidentID, taskID, kind, phase, titleJa, titleEn, owner, required, evidenceRequired, dueAt, state,
                                      evidence, reason, completedAt, completedBy, position)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for task in tasks {
            // Bound directly (`Statement.run`): GRDB's arguments cost more than SQLite's insert itself.
            try insertTask.run { row in
                row.text(record.id)
                row.text(task.id)
                row.text(task.kind.rawValue)
                row.text(task.phase?.rawValue)
                row.text(task.title.ja)
                row.text(task.title.en)
                row.text(task.owner)
                row.bool(task.required)
                row.bool(task.evidenceRequired)
                row.time(task.dueAt)
                row.text(task.state.rawValue)
                row.text(task.evidence)
                row.text(task.reason)
                row.time(task.completedAt)
                row.text(task.completedBy)
                row.integer(task.position)
            }
        }
        let insertEvent = try db.cachedStatement(sql: "INSERT INTO incidentEvent (incidentID, time, author, kind, text) VALUES (?, ?, ?, ?, ?)")
        for event in events {
            try insertEvent.run { row in
                row.text(record.id)
                row.time(event.time)
                row.text(event.author)
                row.text(event.kind.rawValue)
                row.text(event.text)
            }
        }
    }

    public func assign(_ id: String, to assignee: String, actor: String, expectedVersion: Int? = nil) throws(CSIRTError) -> IncidentDetail {
        let name = assignee.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw CSIRTError(.input, "the assignee is empty") }
        return try changeIncident(id, expectedVersion: expectedVersion, actor: actor, action: "incident.assign") { incident, _, _, now in
            let before = incident.assignee
            guard before != name else { throw CSIRTError(.input, "\(incident.id) is already assigned to \(name)") }
            incident.assignee = name
            return ([TimelineEvent(time: now, author: actor, kind: .assigned, text: "assigned to \(name)" + (before.map { " (was \($0))" } ?? ""))],
                    ["assignee": .string(name), "previous": before.map { .string($0) } ?? .null])
        }
    }

    public func addNote(_ id: String, text: String, actor: String, expectedVersion: Int? = nil) throws(CSIRTError) -> IncidentDetail {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw CSIRTError(.input, "the note is empty") }
        guard text.utf8.count <= 65_536 else { throw CSIRTError(.input, "the note is \(text.utf8.count) bytes; the limit is 64 KiB") }
        return try changeIncident(id, expectedVersion: expectedVersion, actor: actor, action: "incident.note") { _, _, _, now in
            ([TimelineEvent(time: now, author: actor, kind: .note, text: text)], ["text": .string(text)])
        }
    }

    /// Moves to the next phase (or `to`, which must be the next phase, or `rejected` from triage).
    public func advance(_ id: String, to target: IncidentStatus?, reason: String?, at time: Date?, actor: String,
                        expectedVersion: Int? = nil) throws(CSIRTError) -> IncidentDetail {
        try changeIncident(id, expectedVersion: expectedVersion, actor: actor, action: "incident.advance") { incident, _, _, now in
            let from = incident.status
            let transition: Transition
            switch target {
            case .rejected:
                guard let reason, !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw CSIRTError(.input, "\(incident.id): rejecting needs --reason (why it is a false positive)") }
                _ = reason
                transition = .reject
            case .closed:
                throw CSIRTError(.conflict, "\(incident.id): use `csirt incident close` (the API: action close), which checks the open steps")
            case .some(let status):
                transition = .advance(to: status)
            case .none:
                guard let next = from.next, next != .closed else {
                    throw CSIRTError(.conflict, "\(incident.id) is \(from.rawValue): nothing to advance to (\(Transition.allowed(from: from)))")
                }
                transition = .advance(to: next)
            }
            let when = try Self.transitionTime(time, incident: incident, now: now)
            guard let next = incident.applying(transition, at: when) else {
                throw CSIRTError(.conflict, "\(incident.id): cannot \(transition.verb) from \(from.rawValue) (\(Transition.allowed(from: from)))")
            }
            incident = next
            let text = "\(from.rawValue) → \(next.status.rawValue)" + (reason.map { ": \($0)" } ?? "")
            var details: [String: JSONValue] = ["from": .string(from.rawValue), "to": .string(next.status.rawValue), "at": .string(RFC3339.format(when))]
            if let reason { details["reason"] = .string(reason) }
            return ([TimelineEvent(time: now, author: actor, kind: .status, text: text)], details)
        }
    }

    /// A transition's time: now, or an earlier time given by the user (importing past incidents),
    /// never before detection or the current phase's start, never in the future.
    static func transitionTime(_ time: Date?, incident: Incident, now: Date) throws(CSIRTError) -> Date {
        guard let time else { return now }
        guard time <= now.addingTimeInterval(300) else { throw CSIRTError(.input, "--at \(TimeInput.format(time)) is in the future") }
        let floor = max(incident.detectedAt, incident.phaseEnteredAt[incident.status] ?? incident.detectedAt)
        guard time >= floor else {
            throw CSIRTError(.input, "--at \(TimeInput.format(time)) is before the incident entered \(incident.status.rawValue) (\(TimeInput.format(floor)))")
        }
        return time
    }

    public func close(_ id: String, force: Bool, reason: String?, at time: Date?, actor: String, expectedVersion: Int? = nil) throws(CSIRTError) -> IncidentDetail {
        if force && (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw CSIRTError(.input, "--force needs --reason (it is recorded)")
        }
        return try changeIncident(id, expectedVersion: expectedVersion, actor: actor, action: "incident.close") { incident, _, tasks, now in
            let when = try Self.transitionTime(time, incident: incident, now: now)
            guard let next = incident.applying(.close, at: when) else {
                throw CSIRTError(.conflict, "\(incident.id): cannot close from \(incident.status.rawValue) (\(Transition.allowed(from: incident.status)))")
            }
            // Legal reports outlive the incident (a final report may be due weeks later): they do
            // not block closing, and `overdue` keeps tracking them.
            let open = tasks.filter { $0.required && $0.state == .open && $0.kind != .legal }.map(\.id)
            if !open.isEmpty && !force {
                throw CSIRTError(.conflict, "\(incident.id): required steps are still open: \(open.joined(separator: ", ")); finish or skip them, or close with --force --reason")
            }
            incident = next
            var events = [TimelineEvent(time: now, author: actor, kind: .status, text: "recovery → closed" + (reason.map { ": \($0)" } ?? ""))]
            var details: [String: JSONValue] = ["from": "recovery", "to": "closed", "at": .string(RFC3339.format(when))]
            if !open.isEmpty {
                events.append(TimelineEvent(time: now, author: actor, kind: .forced, text: "closed with required steps open (\(open.joined(separator: ", "))): \(reason ?? "")"))
                details["forced"] = true
                details["open_required"] = .array(open.map { .string($0) })
            }
            if let reason { details["reason"] = .string(reason) }
            return (events, details)
        }
    }

    public func reopen(_ id: String, reason: String, actor: String, expectedVersion: Int? = nil) throws(CSIRTError) -> IncidentDetail {
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw CSIRTError(.input, "reopening needs --reason") }
        return try changeIncident(id, expectedVersion: expectedVersion, actor: actor, action: "incident.reopen") { incident, _, _, now in
            guard let next = incident.applying(.reopen, at: now) else {
                throw CSIRTError(.conflict, "\(incident.id): cannot reopen from \(incident.status.rawValue) (\(Transition.allowed(from: incident.status)))")
            }
            incident = next
            return ([TimelineEvent(time: now, author: actor, kind: .status, text: "closed → triage (reopened): \(reason)")],
                    ["from": "closed", "to": "triage", "reason": .string(reason)])
        }
    }

    /// Completes or skips a step, notification or legal report.
    public func updateStep(_ id: String, step stepID: String, outcome: StepOutcome, actor: String,
                           expectedVersion: Int? = nil) throws(CSIRTError) -> IncidentDetail {
        try changeIncident(id, expectedVersion: expectedVersion, actor: actor, action: "incident.step") { incident, _, tasks, now in
            guard let index = tasks.firstIndex(where: { $0.id == stepID }) else {
                throw CSIRTError(.notFound, "\(incident.id): no step \"\(stepID)\" (steps: \(tasks.map(\.id).joined(separator: ", ")))")
            }
            guard tasks[index].state == .open else {
                throw CSIRTError(.conflict, "\(incident.id): step \(stepID) is already \(tasks[index].state.rawValue)")
            }
            guard incident.status.isOpen || tasks[index].kind == .legal else {
                throw CSIRTError(.conflict, "\(incident.id) is \(incident.status.rawValue); reopen it to work on its steps")
            }
            var details: [String: JSONValue] = ["step": .string(stepID)]
            let text: String
            switch outcome {
            case .done(let evidence):
                if tasks[index].evidenceRequired && (evidence ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    throw CSIRTError(.input, "\(incident.id): step \(stepID) needs evidence (--evidence TEXT or --evidence-file PATH)")
                }
                tasks[index].state = .done
                tasks[index].evidence = evidence
                details["state"] = "done"
                if let evidence { details["evidence"] = .string(evidence) }
                text = "step \(stepID) done" + (evidence.map { " — evidence: \($0)" } ?? "")
            case .skipped(let reason):
                guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw CSIRTError(.input, "skipping a step needs --reason") }
                tasks[index].state = .skipped
                tasks[index].reason = reason
                details["state"] = "skipped"
                details["reason"] = .string(reason)
                text = "step \(stepID) skipped: \(reason)"
            }
            tasks[index].completedAt = now
            tasks[index].completedBy = actor
            return ([TimelineEvent(time: now, author: actor, kind: .step, text: text)], details)
        }
    }

    /// Changes fields; a new category (new playbook) or detection time recomputes the open tasks.
    public func update(_ id: String, changes: IncidentChanges, actor: String, expectedVersion: Int? = nil) throws(CSIRTError) -> IncidentDetail {
        guard !changes.isEmpty else { throw CSIRTError(.input, "nothing to change") }
        if case .some(let data) = changes.personalData { try Self.checkPersonalData(data) }
        let catalog = changes.category != nil ? try playbookCatalog() : nil
        return try changeIncident(id, expectedVersion: expectedVersion, actor: actor, action: "incident.update") { incident, playbook, _, now in
            var changed: [String: JSONValue] = [:]
            var text: [String] = []
            if let title = changes.title {
                guard !title.trimmingCharacters(in: .whitespaces).isEmpty else { throw CSIRTError(.input, "the title is empty") }
                incident.title = title
                changed["title"] = .string(title)
                text.append("title")
            }
            if let description = changes.description { incident.description = description; changed["description"] = .string(description); text.append("description") }
            if let severity = changes.severity, severity != incident.severity { incident.severity = severity; changed["severity"] = .string(severity.name); text.append("severity \(severity.name)") }
            if let segment = changes.segment, segment != incident.segment { incident.segment = segment; changed["segment"] = .string(segment.rawValue); text.append("segment \(segment.rawValue)") }
            if let assets = changes.assets { incident.assets = assets; changed["assets"] = .array(assets.map { .string($0) }); text.append("assets") }
            if let tags = changes.tags { incident.tags = tags; changed["tags"] = .array(tags.map { .string($0) }); text.append("tags") }
            if case .some(let data) = changes.personalData, data != incident.personalData {
                changed["personal_data_before"] = incident.personalData.map(Self.json) ?? .null
                changed["personal_data"] = data.map(Self.json) ?? .null
                incident.personalData = data
                text.append(data == nil ? "no personal data" : "personal data (\(data!.people) people)")
            }
            if let detectedAt = changes.detectedAt, detectedAt != incident.detectedAt {
                guard detectedAt <= incident.reportedAt else {
                    throw CSIRTError(.input, "\(incident.id): the detection time \(TimeInput.format(detectedAt)) is after the incident was logged (\(TimeInput.format(incident.reportedAt)))")
                }
                incident.detectedAt = detectedAt
                changed["detected_at"] = .string(RFC3339.format(detectedAt))
                text.append("detected at \(TimeInput.format(detectedAt))")
            }
            if let category = changes.category, category != incident.category {
                incident.category = category
                changed["category"] = .string(category.rawValue)
                let next = catalog?.playbook(for: category)
                if next?.id != playbook?.id {
                    playbook = next
                    incident.playbookID = next?.id
                    changed["playbook"] = next.map { .string("\($0.id)@\($0.version)") } ?? .null
                }
                text.append("category \(category.rawValue)")
            }
            guard !changed.isEmpty else { throw CSIRTError(.input, "\(incident.id): nothing to change (the values given are the current ones)") }
            return ([TimelineEvent(time: now, author: actor, kind: .updated, text: "updated: " + text.joined(separator: ", "))], changed)
        }
    }
}

/// Settings a home can change with `csirt config set`.
public enum SettingKey: String, CaseIterable, Sendable {
    /// Days after awareness for the preliminary report to the PPC (速報); default 3.
    case ppcPreliminaryDays = "ppc.preliminary-days"
    /// The zone whose calendar days legal deadlines count; default Asia/Tokyo.
    case legalTimeZone = "legal.time-zone"
    /// The RFC 3161 Time-Stamping Authority `csirt audit timestamp` asks (http:// or https://); default none.
    case tsaURL = "audit.tsa-url"
}
