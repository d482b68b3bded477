import AuditLog
import CSIRTApplication
import CSIRTCrypto
import CSIRTStore
import Foundation
import GRDB
import TestSupport
import XCTest

final class ApplicationTests: XCTestCase {
    func testHomeResolution() {
        XCTAssertEqual(CSIRTHome.resolve(explicit: "/srv/csirt", environment: ["CSIRT_HOME": "/x"]).root, "/srv/csirt")
        XCTAssertEqual(CSIRTHome.resolve(explicit: nil, environment: ["CSIRT_HOME": "/x", "XDG_DATA_HOME": "/d"]).root, "/x")
        XCTAssertEqual(CSIRTHome.resolve(explicit: nil, environment: ["XDG_DATA_HOME": "/d", "HOME": "/home/u"]).root, "/d/csirt")
        XCTAssertEqual(CSIRTHome.resolve(explicit: nil, environment: ["XDG_DATA_HOME": "relative", "HOME": "/home/u"]).root, "/home/u/.local/share/csirt",
                       "a relative XDG_DATA_HOME is ignored, as the XDG spec says")
        XCTAssertEqual(CSIRTHome.resolve(explicit: nil, environment: ["HOME": "/home/u"]).root, "/home/u/.local/share/csirt")
    }

    func testEveryMutationIsOneAuditEntryAndTheLogStaysGreen() throws {
        let directory = TemporaryDirectory()
        let home = CSIRTHome(root: directory.file("home"))
        let outcome = try Application.initialize(home: home, signingKeyPath: nil, actor: "setup")
        XCTAssertTrue(outcome.created)
        let app = try Application.open(home: home)
        let note = try app.recordNote(actor: "tanaka", text: "checkpoint 1 mailed to the CISO")
        XCTAssertEqual(note.entries.map(\.action), ["audit.note"])
        XCTAssertEqual(note.entries[0].actor, "tanaka")
        let rotation = try app.rotateKey(actor: "suzuki", signingKeyPath: nil)
        XCTAssertEqual(rotation.receipt.entries.map(\.action), ["audit.rotate-key"])
        XCTAssertEqual(rotation.receipt.checkpoints.count, 2)
        let entries = LogFixtures.lines(of: home.auditLogPath).compactMap { try? AuditEntry.parse($0) }
        XCTAssertEqual(entries.map(\.action), ["init", "audit.note", "audit.rotate-key"])
        let report = try AuditVerification.verify(home: home, logPath: nil, publicKeyPaths: [], anchorPath: nil)
        XCTAssertNil(report.failure)
        let (keys, problem) = try app.signingKeys()
        XCTAssertNil(problem)
        XCTAssertEqual(keys.map(\.status), [.retired, .active])
    }

    /// Lists and phase times are stored as hand-written JSON: what goes in comes back, whatever
    /// the characters, and times keep their millisecond.
    func testListAndTimeColumnsComeBackAsWritten() throws {
        let directory = TemporaryDirectory()
        let home = CSIRTHome(root: directory.file("home"))
        _ = try Application.initialize(home: home, signingKeyPath: nil, actor: "setup")
        let app = try Application.open(home: home)
        let odd = ["PC-01 \"経理\"", "back\\slash/slash", "tab\tnew\nline", "\u{1}\u{1f}", "", "🙂 絵文字"]
        var new = NewIncident(title: "t", category: .malware, severity: .high)
        new.assets = odd
        new.tags = odd.reversed()
        let opened = try app.openIncident(new, actor: "tanaka")
        let id = opened.incident.id.description
        _ = try app.advance(id, to: nil, reason: nil, at: nil, actor: "tanaka")
        let read = try app.incident(id).incident
        XCTAssertEqual(read.assets, odd)
        XCTAssertEqual(read.tags, odd.reversed())
        XCTAssertEqual(read.phaseEnteredAt.count, 2)
        for (phase, time) in read.phaseEnteredAt {
            let milliseconds = time.timeIntervalSince1970 * 1000
            XCTAssertEqual(milliseconds, milliseconds.rounded(), accuracy: 0.001, "\(phase): kept to the millisecond")
        }
        XCTAssertEqual(read.phaseEnteredAt[.reported], opened.incident.phaseEnteredAt[.reported])
    }

    /// A change keeps the incident's playbook snapshot; a new category names the new playbook's.
    func testUpdatesKeepTheSnapshotAndRecategorisingNamesTheNewOne() throws {
        let directory = TemporaryDirectory()
        let home = CSIRTHome(root: directory.file("home"))
        _ = try Application.initialize(home: home, signingKeyPath: nil, actor: "setup")
        let app = try Application.open(home: home)
        let store = try DatabaseQueue(path: home.databasePath)
        func digest(_ id: String) throws -> String? {
            try store.read { db in try String.fetchOne(db, sql: "SELECT playbookDigest FROM incident WHERE id = ?", arguments: [id]) }
        }
        let first = try app.openIncident(NewIncident(title: "a", category: .malware, severity: .high), actor: "tanaka").incident.id.description
        let second = try app.openIncident(NewIncident(title: "b", category: .malware, severity: .low), actor: "tanaka").incident.id.description
        let malware = try XCTUnwrap(try digest(first))
        XCTAssertEqual(try digest(second), malware, "incidents of one playbook version share its snapshot")

        var severity = IncidentChanges()
        severity.severity = .critical
        _ = try app.update(first, changes: severity, actor: "tanaka")
        XCTAssertEqual(try digest(first), malware)

        var category = IncidentChanges()
        category.category = .lostMedia
        _ = try app.update(first, changes: category, actor: "tanaka")
        let lostMedia = try XCTUnwrap(try digest(first))
        XCTAssertNotEqual(lostMedia, malware)
        XCTAssertEqual(try app.incident(first).playbook?.id, "lost-media")
        XCTAssertEqual(try app.incident(second).playbook?.id, "malware")
        XCTAssertEqual(try store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM playbookSnapshot") }, 2)
    }

    /// If the audit entry cannot be written, the database change is rolled back.
    func testFailedAuditAppendRollsBackTheDatabase() throws {
        let directory = TemporaryDirectory()
        let home = CSIRTHome(root: directory.file("home"))
        _ = try Application.initialize(home: home, signingKeyPath: nil, actor: "setup")
        let app = try Application.open(home: home)
        _ = try app.recordNote(actor: "a", text: "one")
        // The log cut short behind csirt's back: the writer refuses to append (exit 1: a check failed).
        let size = (try FileManager.default.attributesOfItem(atPath: home.auditLogPath)[.size] as! NSNumber).intValue
        XCTAssertEqual(truncate(home.auditLogPath, off_t(size - 10)), 0)
        let keysBefore = try app.database.read { try SigningKeyRecord.all($0) }
        XCTAssertThrowsError(try app.rotateKey(actor: "x", signingKeyPath: nil)) { error in
            XCTAssertEqual((error as? CSIRTError)?.exitCode, 1)
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
        }
        XCTAssertEqual(try app.database.read { try SigningKeyRecord.all($0) }, keysBefore, "the rotation was rolled back")
        let privateKeys = try FileManager.default.contentsOfDirectory(atPath: home.keysDirectory).filter { !$0.hasSuffix(".pub.pem") }
        XCTAssertEqual(privateKeys, ["\(keysBefore[0].keyID.prefix(16)).pem"], "the active private key is kept, the new one removed")
    }

    func testOpeningAMissingHomeIsAClearError() {
        XCTAssertThrowsError(try Application.open(home: CSIRTHome(root: "/nonexistent/csirt"))) { error in
            XCTAssertTrue("\(error)".contains("no csirt home here"), "\(error)")
        }
    }
}
