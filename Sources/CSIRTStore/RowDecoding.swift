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

extension IncidentRecord {
    public init(row: Row) throws {
        self.init(id: row["id"], year: row["year"], number: row["number"], title: row["title"], description: row["description"],
                  category: row["category"], severity: row["severity"], segment: row["segment"],
                  assets: try JSONColumn.strings(row["assets"]), personalData: row["personalData"], reporter: row["reporter"],
                  assignee: row["assignee"], status: row["status"], detectedAt: row["detectedAt"], reportedAt: row["reportedAt"],
                  containedAt: row["containedAt"], recoveredAt: row["recoveredAt"], closedAt: row["closedAt"],
                  tags: try JSONColumn.strings(row["tags"]), playbookID: row["playbookID"], playbook: row["playbook"],
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
