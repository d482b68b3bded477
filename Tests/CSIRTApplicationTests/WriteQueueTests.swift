import AuditLog
@testable import CSIRTApplication
import Foundation
import GRDB
import GRDBSQLite
import TestSupport
import XCTest

/// The group commit's writer thread (`WriteQueue`).
final class WriteQueueTests: XCTestCase {
    private func openHome(_ directory: TemporaryDirectory) throws -> (CSIRTHome, Application) {
        let home = CSIRTHome(root: directory.file("home"))
        _ = try Application.initialize(home: home, signingKeyPath: nil, actor: "setup")
        return (home, try Application.open(home: home))
    }

    /// 16 threads make 4 changes each, all at once: every change lands with its own entry, some
    /// share a checkpoint (one batch), and the log verifies.
    func testChangesMadeAtOnceAreGroupedAndAllLand() throws {
        let directory = TemporaryDirectory()
        let (home, app) = try openHome(directory)
        let failures = LockedBox<[String]>([])
        let start = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for thread in 0..<16 {
            done.enter()
            Thread {
                start.wait()
                for change in 0..<4 {
                    do {
                        _ = try app.recordNote(actor: "t\(thread)", text: "note \(thread)-\(change)")
                    } catch {
                        failures.append("\(error)")
                    }
                }
                done.leave()
            }.start()
        }
        for _ in 0..<16 { start.signal() }
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success, "the changes did not finish")
        XCTAssertEqual(failures.value, [])

        let lines = LogFixtures.lines(of: home.auditLogPath)
        let notes = lines.compactMap { try? AuditEntry.parse($0) }.filter { $0.action == "audit.note" }
        let texts = notes.compactMap { $0.details["text"]?.stringValue }
        XCTAssertEqual(Set(texts).count, 64)
        XCTAssertEqual(texts.count, 64)
        let checkpoints = lines.filter { (try? Checkpoint.parse($0)) != nil }.count
        // One for `init`, then one per batch: fewer batches than changes.
        XCTAssertLessThan(checkpoints, 1 + 64, "no two changes shared a batch")
        let report = try AuditVerification.verify(home: home, logPath: nil, publicKeyPaths: [], anchorPath: nil)
        XCTAssertNil(report.failure)
    }

    /// An idle process keeps no writer thread, and the next change starts one again.
    func testTheWriterThreadEndsWhenIdleAndTheNextChangeStartsAnother() throws {
        let directory = TemporaryDirectory()
        let (home, app) = try openHome(directory)
        _ = try app.recordNote(actor: "tanaka", text: "first")
        let deadline = Date(timeIntervalSinceNow: WriteQueue.idleTimeout + 5)
        while app.writes.isWriterRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertFalse(app.writes.isWriterRunning, "the writer thread outlived its idle time")

        // On another thread, so that a change that never finished fails the test instead of hanging it.
        let finished = DispatchSemaphore(value: 0)
        let result = LockedBox<Result<AppendReceipt, CSIRTError>?>(nil)
        Thread {
            do throws(CSIRTError) {
                result.value = .success(try app.recordNote(actor: "tanaka", text: "second"))
            } catch {
                result.value = .failure(error)
            }
            finished.signal()
        }.start()
        XCTAssertEqual(finished.wait(timeout: .now() + 30), .success, "the change after the idle time never finished")
        XCTAssertEqual(try result.value?.get().entries.map(\.action), ["audit.note"])
        let notes = LogFixtures.lines(of: home.auditLogPath).compactMap { try? AuditEntry.parse($0) }.filter { $0.action == "audit.note" }
        XCTAssertEqual(notes.compactMap { $0.details["text"]?.stringValue }, ["first", "second"])
    }
}

extension WriteQueueTests {
    private struct Refused: Error {}

    /// A change whose failure makes SQLite roll the whole transaction back (as after a full
    /// disk) takes the other changes of its batch with it: none of their entries reaches the log.
    func testNoEntryIsAppendedForChangesSQLiteRolledBack() throws {
        let directory = TemporaryDirectory()
        let (home, app) = try openHome(directory)
        let entered = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)
        let results = LockedBox<[String: String]>([:])
        func change(_ name: String, _ work: @escaping @Sendable (Database) throws -> Void) {
            Thread {
                let outcome: String
                do throws(CSIRTError) {
                    _ = try app.perform { db in
                        try work(db)
                        return Application.Mutation(value: (), entry: AuditEntryDraft(actor: "test", action: "test.\(name)", target: name, details: [:]))
                    }
                    outcome = "written"
                } catch {
                    outcome = "failed"
                }
                results.set(name, outcome)
            }.start()
        }
        func waitUntil(_ condition: () -> Bool) {
            let deadline = Date(timeIntervalSinceNow: 10)
            while !condition() && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
            XCTAssertTrue(condition())
        }
        // The first change holds the writer, so that the next two wait and go in one batch.
        change("first") { _ in
            entered.signal()
            gate.wait()
        }
        XCTAssertEqual(entered.wait(timeout: .now() + 10), .success)
        change("accepted") { db in try db.execute(sql: "INSERT INTO setting (name, value) VALUES ('probe', 'x')") }
        waitUntil { app.writes.waitingCount == 1 }
        change("aborting") { db in
            // What SQLite does on its own after SQLITE_FULL or an I/O error.
            _ = sqlite3_exec(db.sqliteConnection, "ROLLBACK", nil, nil, nil)
            throw Refused()
        }
        waitUntil { app.writes.waitingCount == 2 }
        gate.signal()
        waitUntil { results.value.count == 3 }
        XCTAssertEqual(results.value, ["first": "written", "accepted": "failed", "aborting": "failed"])

        let actions = LogFixtures.lines(of: home.auditLogPath).compactMap { try? AuditEntry.parse($0) }.map(\.action)
        XCTAssertEqual(actions, ["init", "test.first"])
        XCTAssertNil(try app.database.read { try String.fetchOne($0, sql: "SELECT value FROM setting WHERE name = 'probe'") })
        let report = try AuditVerification.verify(home: home, logPath: nil, publicKeyPaths: [], anchorPath: nil)
        XCTAssertNil(report.failure)
        // And the store goes on: the next change is written.
        XCTAssertEqual(try app.recordNote(actor: "tanaka", text: "after").entries.map(\.action), ["audit.note"])
    }
}

/// A value shared with a thread the test starts.
private final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

extension LockedBox where Value == [String: String] {
    func set(_ key: String, _ element: String) { lock.withLock { stored[key] = element } }
}

extension LockedBox where Value == [String] {
    func append(_ element: String) { lock.withLock { stored.append(element) } }
}
