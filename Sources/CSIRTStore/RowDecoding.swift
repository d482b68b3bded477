import Foundation
import GRDB

// Hand-written row decoding for the records read on every request. GRDB's Codable decoding
// goes through a generic decoder per column (and a JSONDecoder per JSON column); reading the
// columns directly is several times faster and reads exactly what the Codable encoding wrote:
// arrays as JSON text, `[String: Date]` as JSON with milliseconds since 1970.

enum JSONColumn {
    static func strings(_ text: String?) throws -> [String] {
        guard let text, !text.isEmpty, text != "[]" else { return [] }
        guard let array = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String] else {
            throw DatabaseError(message: "a stored list is not a JSON array of strings: \(text.prefix(80))")
        }
        return array
    }

    static func dates(_ text: String?) throws -> [String: Date] {
        guard let text, !text.isEmpty else { return [:] }
        if let flat = flatNumbers(text) { return flat }
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw DatabaseError(message: "a stored map of times is not a JSON object: \(text.prefix(80))")
        }
        var out: [String: Date] = [:]
        for (key, value) in object {
            guard let milliseconds = (value as? NSNumber)?.doubleValue else {
                throw DatabaseError(message: "a stored time is not a number: \(key)")
            }
            out[key] = Date(timeIntervalSince1970: milliseconds / 1000)
        }
        return out
    }
}

extension JSONColumn {
    /// `{"name":number,...}` with plain keys, as the encoder writes phase times: read without
    /// JSONSerialization. Anything else returns nil and takes the general path.
    static func flatNumbers(_ text: String) -> [String: Date]? {
        var bytes = Array(text.utf8)[...]
        guard bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else { return nil }
        bytes = bytes.dropFirst().dropLast()
        var out: [String: Date] = [:]
        while !bytes.isEmpty {
            guard bytes.first == UInt8(ascii: "\""), let close = bytes.dropFirst().firstIndex(of: UInt8(ascii: "\"")) else { return nil }
            let key = bytes[bytes.startIndex + 1..<close]
            guard !key.contains(UInt8(ascii: "\\")), close + 1 < bytes.endIndex, bytes[close + 1] == UInt8(ascii: ":") else { return nil }
            let rest = bytes[(close + 2)...]
            let end = rest.firstIndex(of: UInt8(ascii: ",")) ?? rest.endIndex
            guard let number = Double(String(decoding: rest[..<end], as: UTF8.self)) else { return nil }
            out[String(decoding: key, as: UTF8.self)] = Date(timeIntervalSince1970: number / 1000)
            bytes = end < rest.endIndex ? rest[(end + 1)...] : rest[end...]
        }
        return out
    }
}

extension IncidentRecord {
    /// Every column, in the order `init(listRow:)` reads them.
    public static let listColumns = ["id", "year", "number", "title", "description", "category", "severity", "segment", "assets", "personalData",
                                     "reporter", "assignee", "status", "detectedAt", "reportedAt", "containedAt", "recoveredAt", "closedAt",
                                     "tags", "playbookID", "phaseEnteredAt", "version", "playbookDigest"]

    public init(row: Row) throws {
        self.init(id: row["id"], year: row["year"], number: row["number"], title: row["title"], description: row["description"],
                  category: row["category"], severity: row["severity"], segment: row["segment"],
                  assets: try JSONColumn.strings(row["assets"]), personalData: row["personalData"], reporter: row["reporter"],
                  assignee: row["assignee"], status: row["status"], detectedAt: row["detectedAt"], reportedAt: row["reportedAt"],
                  containedAt: row["containedAt"], recoveredAt: row["recoveredAt"], closedAt: row["closedAt"],
                  tags: try JSONColumn.strings(row["tags"]), playbookID: row["playbookID"], playbookDigest: row["playbookDigest"],
                  phaseEnteredAt: try JSONColumn.dates(row["phaseEnteredAt"]), version: row["version"])
    }
}

extension IncidentTaskRecord {
    public init(row: Row) throws {
        self.init(incidentID: row["incidentID"], taskID: row["taskID"], kind: row["kind"], phase: row["phase"], titleJa: row["titleJa"],
                  titleEn: row["titleEn"], owner: row["owner"], required: row["required"], evidenceRequired: row["evidenceRequired"],
                  dueAt: row["dueAt"], state: row["state"], evidence: row["evidence"], reason: row["reason"],
                  completedAt: row["completedAt"], completedBy: row["completedBy"], position: row["position"])
    }
}

extension IncidentEventRecord {
    public init(row: Row) throws {
        self.init(incidentID: row["incidentID"], time: row["time"], author: row["author"], kind: row["kind"], text: row["text"])
        id = row["id"]
    }
}

extension APITokenRecord {
    public init(row: Row) throws {
        self.init(name: row["name"], role: row["role"], tokenHash: row["tokenHash"], createdAt: row["createdAt"], createdBy: row["createdBy"],
                  revokedAt: row["revokedAt"], revokedBy: row["revokedBy"])
    }
}

extension IncidentRecord {
    /// `SELECT <listColumns>`: the columns by position (no name lookups; a list of
    /// incidents decodes thousands of columns).
    public static var listSelection: String { listColumns.map { "\"\($0)\"" }.joined(separator: ", ") }

    public init(listRow row: Row) throws {
        self.init(id: row[0], year: row[1], number: row[2], title: row[3], description: row[4], category: row[5], severity: row[6],
                  segment: row[7], assets: try JSONColumn.strings(row[8]), personalData: row[9], reporter: row[10], assignee: row[11],
                  status: row[12], detectedAt: row[13], reportedAt: row[14], containedAt: row[15], recoveredAt: row[16], closedAt: row[17],
                  tags: try JSONColumn.strings(row[18]), playbookID: row[19], playbookDigest: row[22],
                  phaseEnteredAt: try JSONColumn.dates(row[20]), version: row[21])
    }
}

extension IncidentTaskRecord {
    public static let selection = "incidentID, taskID, kind, phase, titleJa, titleEn, owner, required, evidenceRequired, dueAt, state, evidence, reason, completedAt, completedBy, position"

    /// A row of `SELECT <selection>`, by position.
    public init(selectedRow row: Row) {
        self.init(incidentID: row[0], taskID: row[1], kind: row[2], phase: row[3], titleJa: row[4], titleEn: row[5], owner: row[6],
                  required: row[7], evidenceRequired: row[8], dueAt: row[9], state: row[10], evidence: row[11], reason: row[12],
                  completedAt: row[13], completedBy: row[14], position: row[15])
    }
}
