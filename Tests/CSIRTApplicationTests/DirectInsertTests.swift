import CSIRTStore
import Foundation
import GRDB
import GRDBSQLite
import XCTest

/// `Statement.run` and `eachRow` bind with SQLite's C API instead of GRDB's arguments: the rows
/// they write must be exactly the rows GRDB writes, since both kinds of code read them.
final class DirectInsertTests: XCTestCase {
    private func database() throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (id TEXT PRIMARY KEY, name TEXT, n INTEGER, flag BOOLEAN, at DATETIME)")
        }
        return queue
    }

    func testRowsMatchTheRowsGRDBWrites() throws {
        let queue = try database()
        let time = Date(timeIntervalSince1970: 1_790_000_000.1234)
        let names = ["", "plain", "マイナンバー利用事務系", "tab\tand\nnewline", String(repeating: "長", count: 5_000)]
        try queue.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO t (id, name, n, flag, at) VALUES (?, ?, ?, ?, ?)")
            for (index, name) in names.enumerated() {
                try insert.run { row in
                    row.text("direct-\(index)")
                    row.text(name)
                    row.integer(index == 0 ? nil : -index * 1_000_000_007)
                    row.bool(index % 2 == 0)
                    row.time(index == 1 ? nil : time)
                }
                try db.execute(sql: "INSERT INTO t (id, name, n, flag, at) VALUES (?, ?, ?, ?, ?)",
                               arguments: ["grdb-\(index)", name, index == 0 ? nil : -index * 1_000_000_007, index % 2 == 0,
                                           index == 1 ? nil : time])
            }
        }
        try queue.read { db in
            for index in names.indices {
                let sql = "SELECT name, typeof(name), n, typeof(n), flag, typeof(flag), at, typeof(at), length(CAST(name AS BLOB)) FROM t WHERE id = ?"
                let direct = try XCTUnwrap(Row.fetchOne(db, sql: sql, arguments: ["direct-\(index)"]))
                let grdb = try XCTUnwrap(Row.fetchOne(db, sql: sql, arguments: ["grdb-\(index)"]))
                XCTAssertEqual(direct, grdb, "row \(index)")
                XCTAssertEqual(direct["name"] as String?, names[index])
            }
        }
    }

    func testEachRowReadsBackWhatRunWrote() throws {
        let queue = try database()
        try queue.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO t (id, name, n) VALUES (?, ?, ?)")
            try insert.run { $0.text("a"); $0.text("äb"); $0.integer(7) }
            try insert.run { $0.text("b"); $0.text(nil); $0.integer(nil) }
            try insert.run { $0.text("c"); $0.text(""); $0.integer(-1) }
            var rows: [String] = []
            try db.cachedStatement(sql: "SELECT id, name, n FROM t WHERE id <> ? ORDER BY id").eachRow({ $0.text("zzz") }) { row in
                rows.append("\(row.text(0) ?? "nil")|\(row.text(1).map { $0.debugDescription } ?? "nil")|\(row.integer(2).map(String.init) ?? "nil")")
            }
            XCTAssertEqual(rows, ["a|\"äb\"|7", "b|nil|nil", "c|\"\"|-1"])
        }
    }

    /// GRDB reads text as C strings, so a NUL would come back cut: refused, and nothing written.
    func testTextWithANULIsRefused() throws {
        let queue = try database()
        try queue.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO t (id, name) VALUES (?, ?)")
            XCTAssertThrowsError(try insert.run { $0.text("a"); $0.text("x\u{0}y") }) { error in
                XCTAssertTrue("\(error)".contains("NUL character"), "\(error)")
            }
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t"), 0)
        }
    }

    /// When SQLite has rolled the transaction back on its own (a full disk, an I/O error), GRDB
    /// refuses every further statement; so do these, instead of writing in autocommit mode.
    func testNothingRunsOnceSQLiteRolledTheTransactionBack() throws {
        let queue = try database()
        XCTAssertThrowsError(try queue.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO t (id, name) VALUES (?, ?)")
            try insert.run { $0.text("before"); $0.text("x") }
            // What SQLite does after SQLITE_FULL, behind GRDB's back.
            XCTAssertEqual(sqlite3_exec(db.sqliteConnection, "ROLLBACK", nil, nil, nil), SQLITE_OK)
            XCTAssertThrowsError(try insert.run { $0.text("after"); $0.text("y") }) { error in
                XCTAssertEqual((error as? DatabaseError)?.resultCode, .SQLITE_ABORT, "\(error)")
            }
            XCTAssertThrowsError(try db.cachedStatement(sql: "SELECT id FROM t").eachRow({ _ in }) { _ in }) { error in
                XCTAssertEqual((error as? DatabaseError)?.resultCode, .SQLITE_ABORT, "\(error)")
            }
        })
        XCTAssertEqual(try queue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM t") }, 0)
    }

    func testTooFewValuesIsAnErrorAndWritesNothing() throws {
        let queue = try database()
        try queue.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO t (id, name) VALUES (?, ?)")
            XCTAssertThrowsError(try insert.run { $0.text("only-one") }) { error in
                XCTAssertTrue("\(error)".contains("bound 1 of 2 parameters"), "\(error)")
            }
            XCTAssertThrowsError(try insert.run { $0.text("x"); $0.text("y"); $0.text("z") })
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t"), 0)
        }
    }

    func testAConstraintViolationThrowsAndTheStatementStaysUsable() throws {
        let queue = try database()
        try queue.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO t (id, name) VALUES (?, ?)")
            try insert.run { $0.text("k"); $0.text("first") }
            XCTAssertThrowsError(try insert.run { $0.text("k"); $0.text("again") }) { error in
                XCTAssertEqual((error as? DatabaseError)?.resultCode, .SQLITE_CONSTRAINT, "\(error)")
            }
            try insert.run { $0.text("l"); $0.text("second") }
            XCTAssertEqual(try String.fetchAll(db, sql: "SELECT name FROM t ORDER BY id"), ["first", "second"])
        }
    }
}
