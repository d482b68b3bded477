import CSIRTStore
import Foundation
import GRDB
import Incidents

/// The filters of `csirt incident list`; empty lists mean "any".
public struct IncidentFilter: Sendable {
    public var statuses: [IncidentStatus] = []
    public var severities: [Severity] = []
    public var categories: [IncidentCategory] = []
    public var segments: [AffectedSegment] = []
    public var assignee: String? = nil
    /// Detected at or after.
    public var from: Date? = nil
    /// Detected before.
    public var to: Date? = nil
    public var openOnly = false
    public var limit: Int? = nil
    /// Only incidents after this one in id order (cursor pagination).
    public var after: IncidentID? = nil

    public init() {}
}

/// A step, notification or legal report past its due time.
public struct OverdueItem: Sendable {
    public var incidentID: String
    public var incidentTitle: String
    public var severity: Severity
    public var status: IncidentStatus
    public var assignee: String?
    public var task: IncidentTask
    public var overdueBy: TimeInterval
}

extension Application {
    public func listIncidents(_ filter: IncidentFilter) throws(CSIRTError) -> [Incident] {
        try mapErrors {
            try database.read { db in
                // Every column but the playbook snapshot (kilobytes per row that a list never shows).
                // Plain SQL through the statement cache: the same filters give the same text, so a
                // server compiles each shape of query once.
                var conditions: [String] = []
                var arguments = StatementArguments()
                func any(_ column: String, _ values: [any DatabaseValueConvertible]) {
                    conditions.append("\(column) IN (\(Array(repeating: "?", count: values.count).joined(separator: ", ")))")
                    for value in values { arguments += [value] }
                }
                if !filter.statuses.isEmpty { any("status", filter.statuses.map(\.rawValue)) }
                if filter.openOnly { conditions.append("status NOT IN ('closed', 'rejected')") }
                if !filter.severities.isEmpty { any("severity", filter.severities.map(\.rawValue)) }
                if !filter.categories.isEmpty { any("category", filter.categories.map(\.rawValue)) }
                if !filter.segments.isEmpty { any("segment", filter.segments.map(\.rawValue)) }
                if let assignee = filter.assignee { conditions.append("assignee = ?"); arguments += [assignee] }
                if let from = filter.from { conditions.append("detectedAt >= ?"); arguments += [from] }
                if let to = filter.to { conditions.append("detectedAt < ?"); arguments += [to] }
                if let after = filter.after {
                    conditions.append("(year > ? OR (year = ? AND number > ?))")
                    arguments += [after.year, after.year, after.number]
                }
                var sql = "SELECT \(IncidentRecord.listSelection) FROM incident"
                if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
                sql += " ORDER BY year, number"
                if let limit = filter.limit { sql += " LIMIT ?"; arguments += [limit] }
                let statement = try db.cachedStatement(sql: sql)
                let request = statement
                let rows = try Row.fetchCursor(request, arguments: arguments)
                var incidents: [Incident] = []
                while let row = try rows.next() { incidents.append(try IncidentMapping.incident(IncidentRecord(listRow: row))) }
                return incidents
            }
        }
    }

    /// Open incidents by severity (for `/metrics`).
    public func openIncidentCounts() throws(CSIRTError) -> [Severity: Int] {
        try mapErrors {
            try database.read { db in
                let rows = try Row.fetchAll(db, sql: "SELECT severity, COUNT(*) FROM incident WHERE status NOT IN ('closed', 'rejected') GROUP BY severity")
                var counts: [Severity: Int] = [:]
                for severity in Severity.allCases { counts[severity] = 0 }
                for row in rows { if let severity = Severity(rawValue: row[0]) { counts[severity] = row[1] } }
                return counts
            }
        }
    }

    /// Open tasks past their due time: steps and notifications of open incidents, and legal
    /// reports of any incident (closing does not lift a legal duty).
    public func overdue(at time: Date) throws(CSIRTError) -> [OverdueItem] {
        try mapErrors {
            try database.read { db in
                // Columns by position: decoding thousands of rows by name costs more than the query.
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT t.incidentID, t.taskID, t.kind, t.phase, t.titleJa, t.titleEn, t.owner, t.required, t.evidenceRequired,
                           t.dueAt, t.position, i.title, i.severity, i.status, i.assignee
                    FROM incidentTask t JOIN incident i ON i.id = t.incidentID
                    WHERE t.state = 'open' AND t.dueAt < ?
                      AND (i.status NOT IN ('closed', 'rejected') OR t.kind = 'legal')
                    ORDER BY t.dueAt, t.incidentID, t.position
                    """, arguments: [time])
                var items: [OverdueItem] = []
                while let row = try rows.next() {
                    let due: Date = row[9]
                    let task = IncidentTask(id: row[1], kind: IncidentTask.Kind(rawValue: row[2]) ?? .step,
                                            phase: (row[3] as String?).flatMap(IncidentStatus.init(rawValue:)),
                                            title: LocalizedText(ja: row[4], en: row[5]), owner: row[6], required: row[7],
                                            evidenceRequired: row[8], dueAt: due, position: row[10])
                    items.append(OverdueItem(incidentID: row[0], incidentTitle: row[11], severity: Severity(rawValue: row[12]) ?? .medium,
                                             status: IncidentStatus(rawValue: row[13]) ?? .reported, assignee: row[14], task: task,
                                             overdueBy: time.timeIntervalSince(due)))
                }
                return items
            }
        }
    }
}
