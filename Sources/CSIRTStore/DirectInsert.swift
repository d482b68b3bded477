import Foundation
import GRDB
import GRDBSQLite

/// The values of one row, bound in order with SQLite's C API, as GRDB would store them (text,
/// integers, booleans as 0/1, times as `StoredTime` text, nil as NULL).
public struct RowBinder {
    fileprivate let statement: OpaquePointer
    fileprivate var index: Int32 = 1
    fileprivate var failure: Int32 = SQLITE_OK
    private static var transient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }

    public mutating func text(_ value: String?) {
        guard var value else { return null() }
        // With its length: a value may contain NUL. SQLITE_TRANSIENT: SQLite copies it.
        let (statement, index) = (self.statement, self.index)
        let code = value.withUTF8 { bytes -> Int32 in
            guard let base = bytes.baseAddress else { return sqlite3_bind_text(statement, index, "", 0, RowBinder.transient) }
            return sqlite3_bind_text(statement, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(bytes.count), RowBinder.transient)
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
        guard failure == SQLITE_OK, index - 1 == count else {
            throw DatabaseError(resultCode: ResultCode(rawValue: failure == SQLITE_OK ? SQLITE_RANGE : failure),
                                message: "bound \(index - 1) of \(count) parameters", sql: sql())
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
        sqlite3_reset(statement)
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
    /// row decoding cost more than the query.
    public func eachRow(_ bind: (inout RowBinder) -> Void, _ body: (RowReader) throws -> Void) throws {
        let statement = sqliteStatement
        sqlite3_reset(statement)
        defer { sqlite3_reset(statement) }
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
