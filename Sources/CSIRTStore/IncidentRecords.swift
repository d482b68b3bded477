import CanonicalJSON
import Foundation
import GRDB

/// An incident row. Lists and sets are JSON columns; dates are stored in UTC.
public struct IncidentRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "incident"

    public var id: String
    public var year: Int
    public var number: Int
    public var title: String
    public var description: String
    public var category: String
    public var severity: Int
    public var segment: String
    public var assets: [String]
    /// JSON of the domain's PersonalData, or nil.
    public var personalData: String?
    public var reporter: String
    public var assignee: String?
    public var status: String
    public var detectedAt: Date
    public var reportedAt: Date
    public var containedAt: Date?
    public var recoveredAt: Date?
    public var closedAt: Date?
    public var tags: [String]
    public var playbookID: String?
    /// The `PlaybookSnapshot` the tasks were planned with (its digest).
    public var playbookDigest: String?
    /// JSON: phase name → time the incident last entered it.
    public var phaseEnteredAt: [String: Date]
    public var version: Int

    public init(id: String, year: Int, number: Int, title: String, description: String, category: String, severity: Int, segment: String,
                assets: [String], personalData: String?, reporter: String, assignee: String?, status: String, detectedAt: Date, reportedAt: Date,
                containedAt: Date?, recoveredAt: Date?, closedAt: Date?, tags: [String], playbookID: String?, playbookDigest: String?,
                phaseEnteredAt: [String: Date], version: Int) {
        self.id = id
        self.year = year
        self.number = number
        self.title = title
        self.description = description
        self.category = category
        self.severity = severity
        self.segment = segment
        self.assets = assets
        self.personalData = personalData
        self.reporter = reporter
        self.assignee = assignee
        self.status = status
        self.detectedAt = detectedAt
        self.reportedAt = reportedAt
        self.containedAt = containedAt
        self.recoveredAt = recoveredAt
        self.closedAt = closedAt
        self.tags = tags
        self.playbookID = playbookID
        self.playbookDigest = playbookDigest
        self.phaseEnteredAt = phaseEnteredAt
        self.version = version
    }

    /// The JSON of a list column (`assets`, `tags`): an array of strings. Written by hand, the
    /// way GRDB's Codable support reads it back: a JSONEncoder per column cost more than the insert.
    static func json(_ strings: [String]) -> String {
        String(decoding: CanonicalJSON.serialize(.array(strings.map(JSONValue.string))), as: UTF8.self)
    }

    /// The JSON of `phaseEnteredAt`: phase name → milliseconds since 1970, as GRDB's Codable
    /// support encodes a `Date` (rounded to the millisecond, as the store keeps every time).
    static func json(_ times: [String: Date]) -> String {
        let members = times.mapValues { JSONValue.integer(Int64((StoredTime.rounded($0).timeIntervalSince1970 * 1000).rounded())) }
        return String(decoding: CanonicalJSON.serialize(.object(members)), as: UTF8.self)
    }

    /// Writes the row with one cached statement, the same columns and values as GRDB's `insert`
    /// and `update` would (times through `StoredTime`), without building a persistence container
    /// and a statement per call: a server writes one per change.
    public func write(_ db: Database, insert: Bool) throws {
        let statement = try db.cachedStatement(sql: insert ? Self.insertSQL : Self.updateSQL)
        try statement.run { row in
            if insert { row.text(id) }
            row.integer(year)
            row.integer(number)
            row.text(title)
            row.text(description)
            row.text(category)
            row.integer(severity)
            row.text(segment)
            row.text(Self.json(assets))
            row.text(personalData)
            row.text(reporter)
            row.text(assignee)
            row.text(status)
            row.time(detectedAt)
            row.time(reportedAt)
            row.time(containedAt)
            row.time(recoveredAt)
            row.time(closedAt)
            row.text(Self.json(tags))
            row.text(playbookID)
            row.text(playbookDigest)
            row.text(Self.json(phaseEnteredAt))
            row.integer(version)
            if !insert { row.text(id) }
        }
        if !insert && db.changesCount != 1 {
            throw DatabaseError(message: "incident \(id): no row to update")
        }
    }

    /// The columns `write` sets, in the order it binds them (after `id` for an insert).
    private static let writtenColumns = ["year", "number", "title", "description", "category", "severity", "segment", "assets", "personalData",
                                         "reporter", "assignee", "status", "detectedAt", "reportedAt", "containedAt", "recoveredAt", "closedAt",
                                         "tags", "playbookID", "playbookDigest", "phaseEnteredAt", "version"]
    private static let insertSQL =
        "INSERT INTO incident (id, \(writtenColumns.map { "\"\($0)\"" }.joined(separator: ", "))) VALUES (?\(String(repeating: ", ?", count: writtenColumns.count)))"
    private static let updateSQL = "UPDATE incident SET \(writtenColumns.map { "\"\($0)\" = ?" }.joined(separator: ", ")) WHERE id = ?"

    /// The next number in `year`, without gaps (call inside the write transaction).
    public static func nextNumber(year: Int, _ db: Database) throws -> Int {
        var highest = 0
        try db.cachedStatement(sql: "SELECT MAX(number) FROM incident WHERE year = ?").eachRow({ $0.integer(year) }) { highest = $0.integer(0) ?? 0 }
        return highest + 1
    }
}

/// One entry of an incident's append-only timeline.
public struct IncidentEventRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "incidentEvent"

    public var id: Int64?
    public var incidentID: String
    public var time: Date
    public var author: String
    public var kind: String
    public var text: String

    public init(incidentID: String, time: Date, author: String, kind: String, text: String) {
        self.incidentID = incidentID
        self.time = time
        self.author = author
        self.kind = kind
        self.text = text
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// A task of an incident: a playbook step or notification, or a legal report.
public struct IncidentTaskRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "incidentTask"

    public var incidentID: String
    public var taskID: String
    public var kind: String
    public var phase: String?
    public var titleJa: String
    public var titleEn: String
    public var owner: String
    public var required: Bool
    public var evidenceRequired: Bool
    public var dueAt: Date?
    public var state: String
    public var evidence: String?
    public var reason: String?
    public var completedAt: Date?
    public var completedBy: String?
    public var position: Int

    public init(incidentID: String, taskID: String, kind: String, phase: String?, titleJa: String, titleEn: String, owner: String,
                required: Bool, evidenceRequired: Bool, dueAt: Date?, state: String, evidence: String?, reason: String?,
                completedAt: Date?, completedBy: String?, position: Int) {
        self.incidentID = incidentID
        self.taskID = taskID
        self.kind = kind
        self.phase = phase
        self.titleJa = titleJa
        self.titleEn = titleEn
        self.owner = owner
        self.required = required
        self.evidenceRequired = evidenceRequired
        self.dueAt = dueAt
        self.state = state
        self.evidence = evidence
        self.reason = reason
        self.completedAt = completedAt
        self.completedBy = completedBy
        self.position = position
    }
}
