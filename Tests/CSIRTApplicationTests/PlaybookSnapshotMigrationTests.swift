@testable import CSIRTStore
import Foundation
import GRDB
import XCTest

/// v5 moves each incident's own copy of its playbook into one shared row per distinct snapshot.
/// A database written by an older csirt must come through with every incident still naming
/// exactly the playbook it was planned with.
final class PlaybookSnapshotMigrationTests: XCTestCase {
    func testOldIncidentsShareOneSnapshotPerDistinctPlaybook() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("csirt-migration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("csirt.sqlite").path

        let malwareV1 = #"{"id":"malware","steps":[{"id":"isolate"}],"version":1}"#
        let malwareV2 = #"{"id":"malware","steps":[{"id":"isolate"},{"id":"scan"}],"version":2}"#
        do {
            let old = try DatabasePool(path: path)
            try AppDatabase.migrator.migrate(old, upTo: "v4-tokens")
            try old.write { db in
                let rows: [(String, Int, String?, String?)] = [("INC-2026-0001", 1, "malware", malwareV1), ("INC-2026-0002", 2, "malware", malwareV1),
                                                                ("INC-2026-0003", 3, "malware", malwareV2), ("INC-2026-0004", 4, nil, nil)]
                for (id, number, playbookID, playbook) in rows {
                    try db.execute(sql: """
                        INSERT INTO incident (id, year, number, title, description, category, severity, segment, assets, reporter, status,
                                              detectedAt, reportedAt, tags, playbookID, playbook, phaseEnteredAt, version)
                        VALUES (?, 2026, ?, 'title', '', 'malware', 3, 'internet', '[]', 'me', 'reported',
                                '2026-11-30 00:00:00.000', '2026-11-30 00:00:00.000', '[]', ?, ?, '{}', 1)
                        """, arguments: [id, number, playbookID, playbook])
                }
            }
        }

        let store = try AppDatabase.open(path: path)
        try store.read { db in
            let columns = try db.columns(in: "incident").map(\.name)
            XCTAssertFalse(columns.contains("playbook"), "the per-incident copy is gone")
            XCTAssertTrue(columns.contains("playbookDigest"))
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM playbookSnapshot"), 2)

            let digests = try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT id, playbookDigest FROM incident").map {
                (row: Row) -> (String, String?) in (row[0], row[1])
            })
            XCTAssertEqual(digests["INC-2026-0001"], PlaybookSnapshot.digest(malwareV1))
            XCTAssertEqual(digests["INC-2026-0002"], PlaybookSnapshot.digest(malwareV1))
            XCTAssertEqual(digests["INC-2026-0003"], PlaybookSnapshot.digest(malwareV2))
            XCTAssertEqual(digests["INC-2026-0004"], .some(nil))
            XCTAssertEqual(try PlaybookSnapshot.json(digest: PlaybookSnapshot.digest(malwareV2), db), malwareV2)

            let record = try XCTUnwrap(Row.fetchOne(db, sql: "SELECT \(IncidentRecord.listSelection) FROM incident WHERE id = 'INC-2026-0001'"))
            XCTAssertEqual(try IncidentRecord(listRow: record).playbookDigest, PlaybookSnapshot.digest(malwareV1))
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pragma_foreign_key_check"), 0)
        }
    }

    func testAlteredSnapshotIsRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("csirt-snapshot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try AppDatabase.open(path: directory.appendingPathComponent("csirt.sqlite").path)
        let json = #"{"id":"lost-media","version":1}"#
        let digest = PlaybookSnapshot.digest(json)
        try store.write { db in
            try PlaybookSnapshot.save(digest: digest, json: json, db)
            // Saving the same snapshot again changes nothing.
            try PlaybookSnapshot.save(digest: digest, json: json, db)
            try db.execute(sql: "UPDATE playbookSnapshot SET json = replace(json, '1', '2')")
        }
        XCTAssertThrowsError(try store.read { db in try PlaybookSnapshot.json(digest: digest, db) }) { error in
            XCTAssertTrue("\(error)".contains("no longer matches its digest"), "\(error)")
        }
        XCTAssertNil(try store.read { db in try PlaybookSnapshot.json(digest: String(repeating: "0", count: 64), db) })
    }
}
