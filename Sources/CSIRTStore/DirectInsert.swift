import Foundation
import GRDB
import GRDBSQLite

/// The values of one row, bound in order with SQLite's C API, as GRDB would store them (text,
/// integers, booleans as 0/1, times as `StoredTime` text, nil as NULL).
public struct RowBinder {
    fileprivate let statement: OpaquePointer
    fileprivate var index: Int32 = 1
    fileprivate var failure: Int32 = SQLITE_OK
    fileprivate var containsNUL = false
    private static var transient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }

    public mutating func text(_ value: String?) {
        guard var value else { return null() }
        // SQLite would store a NUL, but GRDB reads text as C strings: what came back would be
        // shorter than what was written. The API refuses NUL in its fields before this.
        guard !value.utf8.contains(0) else {
            if failure == SQLITE_OK { failure = SQLITE_MISMATCH }
            containsNUL = true
            index += 1
            return
        }
        // SQLITE_TRANSIENT: SQLite copies the bytes before withUTF8 returns.
        let (statement, index) = (self.statement, self.index)
        let code = value.withUTF8 { bytes -> Int32 in
            guard let base = bytes.baseAddress else { return sqlite3_bind_text(statement, index, "", 0, RowBinder.transient) }
            return sqlite3_bind_text64(statement, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), sqlite3_uint64(bytes.count),
                                       RowBinder.transient, UInt8(SQLITE_UTF8))
        }
        advance(code)
    }

    public mutating func integer(_ value: Int?) {
        guard let value else { return null() }
        advance(sqlite3_bind_int64(statement, index, Int64(value)))
    }

    public mutating func bool(_ value: Bool) {
        integer(value ? 1 : 0)
    }

    public mutating func time(_ value: Date?) {
        text(value.map(StoredTime.text))
    }

    public mutating func null() {
        advance(sqlite3_bind_null(statement, index))
    }

    /// Throws when a bind failed or not every parameter was bound.
    fileprivate func check(sql: @autoclosure () -> String) throws {
        let count = sqlite3_bind_parameter_count(statement)
        if containsNUL {
            throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "text with a NUL character (\\u0000) is not stored", sql: sql())
        }
        guard failure == SQLITE_OK, index - 1 == count else {
            throw DatabaseError(resultCode: ResultCode(rawValue: failure == SQLITE_OK ? SQLITE_RANGE : failure),
                                message: "bound \(index - 1) of \(count) parameters", sql: sql())
        }
    }

    /// GRDB refuses every statement once SQLite has rolled back a transaction on its own (a full
    /// disk, an I/O error); so do these, else a write would land in autocommit mode, outside the
    /// transaction its change and audit entry belong to.
    fileprivate static func requireTransaction(_ statement: OpaquePointer, sql: @autoclosure () -> String) throws {
        guard sqlite3_get_autocommit(sqlite3_db_handle(statement)) == 0 else {
            throw DatabaseError(resultCode: .SQLITE_ABORT, message: "the transaction was rolled back; nothing more is run in it", sql: sql())
        }
    }

    private mutating func advance(_ code: Int32) {
        if failure == SQLITE_OK { failure = code }
        index += 1
    }
}

extension Statement {
    /// Binds every parameter with `bind` and runs the statement (an INSERT, UPDATE or DELETE),
    /// skipping GRDB's argument boxing: the single writer runs the task and event inserts about
    /// fifteen times per change, and boxing cost a tenth of its time. For statements that return
    /// no rows, inside a transaction GRDB opened.
    public func run(_ bind: (inout RowBinder) -> Void) throws {
        let statement = sqliteStatement
        try RowBinder.requireTransaction(statement, sql: sql)
        sqlite3_reset(statement)
        // Cleared afterwards: no value outlives its call (a playbook's text is a few KiB), and a
        // later use through GRDB without arguments finds no stale ones.
        defer { sqlite3_clear_bindings(statement) }
        var binder = RowBinder(statement: statement)
        bind(&binder)
        try binder.check(sql: sql)
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(statement)))
            sqlite3_reset(statement)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
        }
        sqlite3_reset(statement)
    }
}

/// The columns of the current row of a statement stepped by `Statement.eachRow`.
public struct RowReader {
    fileprivate let statement: OpaquePointer

    public func text(_ column: Int32) -> String? {
        guard sqlite3_column_type(statement, column) != SQLITE_NULL, let bytes = sqlite3_column_text(statement, column) else { return nil }
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, column))), as: UTF8.self)
    }

    public func integer(_ column: Int32) -> Int? {
        sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : Int(sqlite3_column_int64(statement, column))
    }
}

extension Statement {
    /// Binds every parameter with `bind`, then calls `body` for each row: for the small reads the
    /// single writer makes on every change (settings, the next incident number), where GRDB's
    /// row decoding cost more than the query. Inside a transaction, as `run`.
    public func eachRow(_ bind: (inout RowBinder) -> Void, _ body: (RowReader) throws -> Void) throws {
        let statement = sqliteStatement
        try RowBinder.requireTransaction(statement, sql: sql)
        sqlite3_reset(statement)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        var binder = RowBinder(statement: statement)
        bind(&binder)
        try binder.check(sql: sql)
        while true {
            switch sqlite3_step(statement) {
            case SQLITE_ROW: try body(RowReader(statement: statement))
            case SQLITE_DONE: return
            case let code: throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(statement))), sql: sql)
            }
        }
    }
}
