import CSIRTStore
import Foundation
import GRDB
import Incidents

/// Between the domain's types and the store's rows.
enum IncidentMapping {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// The row of `incident`, whose tasks come from `playbook`, stored as the snapshot `playbookDigest`.
    static func record(_ incident: Incident, playbook: Playbook?, playbookDigest: String?) throws -> IncidentRecord {
        IncidentRecord(
            id: incident.id.description, year: incident.id.year, number: incident.id.number, title: incident.title,
            description: incident.description, category: incident.category.rawValue, severity: incident.severity.rawValue,
            segment: incident.segment.rawValue, assets: incident.assets,
            personalData: try incident.personalData.map { String(decoding: try encoder.encode($0), as: UTF8.self) },
            reporter: incident.reporter, assignee: incident.assignee, status: incident.status.rawValue,
            detectedAt: incident.detectedAt, reportedAt: incident.reportedAt, containedAt: incident.containedAt,
            recoveredAt: incident.recoveredAt, closedAt: incident.closedAt, tags: incident.tags, playbookID: playbook?.id,
            playbookDigest: playbookDigest,
            phaseEnteredAt: Dictionary(uniqueKeysWithValues: incident.phaseEnteredAt.map { ($0.key.rawValue, $0.value) }),
            version: incident.version)
    }

    static func incident(_ record: IncidentRecord) throws -> Incident {
        // The id from its numeric columns: parsing the text on every row of a list costs more.
        let id = IncidentID(year: record.year, number: record.number)
        guard id.description == record.id, let category = IncidentCategory(rawValue: record.category),
              let severity = Severity(rawValue: record.severity), let segment = AffectedSegment(rawValue: record.segment),
              let status = IncidentStatus(rawValue: record.status)
        else { throw CSIRTError(.input, "\(record.id): the stored incident is damaged") }
        let personalData = try record.personalData.map { try decoder.decode(PersonalData.self, from: Data($0.utf8)) }
        var entered: [IncidentStatus: Date] = [:]
        for (name, time) in record.phaseEnteredAt {
            if let phase = IncidentStatus(rawValue: name) { entered[phase] = time }
        }
        return Incident(id: id, title: record.title, description: record.description, category: category, severity: severity,
                        segment: segment, assets: record.assets, personalData: personalData, reporter: record.reporter,
                        assignee: record.assignee, status: status, detectedAt: record.detectedAt, reportedAt: record.reportedAt,
                        containedAt: record.containedAt, recoveredAt: record.recoveredAt, closedAt: record.closedAt, tags: record.tags,
                        playbookID: record.playbookID, phaseEnteredAt: entered, version: record.version)
    }

    /// Snapshots decoded, by digest: the incidents of one playbook version share one.
    static let snapshots = Memo<String, Playbook>(limit: 256)

    /// A playbook as the store keeps it: its JSON and the digest that names it.
    struct EncodedSnapshot: Sendable {
        let digest: String
        let json: String
    }

    /// The other way: each playbook encoded and hashed once.
    static let encodedSnapshots = Memo<SnapshotKey, EncodedSnapshot>(limit: 256)

    static func snapshot(_ playbook: Playbook) throws -> EncodedSnapshot {
        try encodedSnapshots.value(for: SnapshotKey(playbook: playbook)) {
            let json = String(decoding: try encoder.encode(playbook), as: UTF8.self)
            return EncodedSnapshot(digest: PlaybookSnapshot.digest(json), json: json)
        }
    }

    /// A playbook as a memo key: hashed by id and version only (hashing every step of every
    /// playbook cost more than the rest of storing an incident), still compared whole.
    struct SnapshotKey: Hashable, Sendable {
        let playbook: Playbook

        func hash(into hasher: inout Hasher) {
            hasher.combine(playbook.id)
            hasher.combine(playbook.version)
        }
    }

    /// The playbook `record`'s tasks were planned with, from the memo or the store.
    static func playbook(_ record: IncidentRecord, _ db: Database) throws -> Playbook? {
        guard let digest = record.playbookDigest else { return nil }
        return try snapshots.value(for: digest) {
            guard let json = try PlaybookSnapshot.json(digest: digest, db) else {
                throw CSIRTError(.failed, "\(record.id): its playbook snapshot \(digest.prefix(12)) is missing; the database was altered")
            }
            return try decoder.decode(Playbook.self, from: Data(json.utf8))
        }
    }

    static func task(_ record: IncidentTaskRecord) -> IncidentTask {
        IncidentTask(id: record.taskID, kind: IncidentTask.Kind(rawValue: record.kind) ?? .step,
                     phase: record.phase.flatMap(IncidentStatus.init(rawValue:)),
                     title: LocalizedText(ja: record.titleJa, en: record.titleEn), owner: record.owner, required: record.required,
                     evidenceRequired: record.evidenceRequired, dueAt: record.dueAt, state: IncidentTask.State(rawValue: record.state) ?? .open,
                     evidence: record.evidence, reason: record.reason, completedAt: record.completedAt, completedBy: record.completedBy,
                     position: record.position)
    }

    static func event(_ record: IncidentEventRecord) -> TimelineEvent {
        TimelineEvent(time: record.time, author: record.author, kind: TimelineEvent.Kind(rawValue: record.kind) ?? .note, text: record.text)
    }
}
