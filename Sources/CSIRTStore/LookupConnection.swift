import Foundation
import GRDB
import GRDBSQLite

/// The columns of one looked-up row, by position.
public protocol LookupRow {
    func text(_ index: Int) -> String?
}

/// A read-only SQLite connection of its own for the one-row lookups every API request makes (the
/// token, the store's generation). Through GRDB's pool a lookup costs a pool checkout and a
/// dispatch-queue hop, about fifteen times the query itself; here it is a mutex, a bind and a
/// step. Each statement runs alone (SQLite's own read transaction) and is reset at once, so it
/// never holds a WAL snapshot.
final class LookupConnection: @unchecked Sendable {
    private let lock = NSLock()
    private let path: String
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]

    init(path: String) {
        self.path = path
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        if let handle { sqlite3_close_v2(handle) }
    }

    private struct Columns: LookupRow {
        let statement: OpaquePointer

        func text(_ index: Int) -> String? {
            guard sqlite3_column_type(statement, Int32(index)) != SQLITE_NULL, let bytes = sqlite3_column_text(statement, Int32(index)) else { return nil }
            return String(cString: bytes)
        }
    }

    func row<T>(_ sql: String, _ arguments: [String], _ read: (any LookupRow) throws -> T) throws -> T? {
        try lock.withLock {
            let statement = try prepared(sql)
            defer {
                sqlite3_reset(statement)
                sqlite3_clear_bindings(statement)
            }
            for (index, argument) in arguments.enumerated() {
                let code = sqlite3_bind_text(statement, Int32(index + 1), argument, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
                guard code == SQLITE_OK else { throw failure(code) }
            }
            switch sqlite3_step(statement) {
            case SQLITE_ROW: return try read(Columns(statement: statement))
            case SQLITE_DONE: return nil
            case let code: throw failure(code)
            }
        }
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let known = statements[sql] { return known }
        if handle == nil {
            var opened: OpaquePointer?
            let code = sqlite3_open_v2(path, &opened, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
            guard code == SQLITE_OK, let opened else {
                sqlite3_close_v2(opened)
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot open \(path) for lookups")
            }
            sqlite3_busy_timeout(opened, 10_000)
            handle = opened
        }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard code == SQLITE_OK, let statement else { throw failure(code) }
        statements[sql] = statement
        return statement
    }

    private func failure(_ code: Int32) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: handle.map { String(cString: sqlite3_errmsg($0)) } ?? "lookup failed")
    }
}

/// GRDB's row, for stores without a file (tests in memory).
struct GRDBLookupRow: LookupRow {
    let row: Row

    func text(_ index: Int) -> String? { row[index] }
}
