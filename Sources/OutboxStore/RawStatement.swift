import GRDB
import GRDBSQLite

/// A cached statement run through SQLite's C API on the dispatcher's hot paths (claims and
/// recorded answers): arguments bound by position straight from Swift values, rows read by
/// column index. GRDB's `execute(arguments:)` boxes every argument in an existential, builds a
/// `StatementArguments` array and asks each transaction observer about the statement: about
/// half of a recorded answer's CPU went to that, the other half to SQLite's own work.
///
/// Statements run this way are invisible to GRDB's transaction observers: a caller that
/// writes to `event_log` through one tells the `EventLogObserver` itself.
struct RawStatement {
    let handle: OpaquePointer
    let db: Database

    /// The writer's cached statement for `sql`. The statement may be shared with GRDB (the
    /// same text elsewhere) and GRDB leaves a statement it ran stepped to its end with its
    /// bindings cleared; SQLite ignores bindings on a statement that is not reset. So every
    /// use starts with `reset` (see `run` and `rows`).
    init(_ db: Database, sql: String) throws {
        self.db = db
        handle = try db.cachedStatement(sql: sql).sqliteStatement
    }

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, _ value: Int) {
        sqlite3_bind_int64(handle, index, Int64(value))
    }

    func bind(_ index: Int32, _ value: Int?) {
        bind(index, value.map(Int64.init))
    }

    func bind(_ index: Int32, _ value: String?) {
        guard let value else { sqlite3_bind_null(handle, index); return }
        var text = value
        text.withUTF8 { bytes in
            _ = sqlite3_bind_text(handle, index, bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                  Int32(bytes.count), rawTransient)
        }
    }

    /// Resets the statement, binds its arguments with `bind`, and steps it to its end.
    /// - Returns: the number of rows it changed.
    @discardableResult
    func run(_ bind: (RawStatement) -> Void) throws -> Int {
        sqlite3_reset(handle)
        bind(self)
        defer { sqlite3_reset(handle) }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return Int(sqlite3_changes(db.sqliteConnection)) }
            if code != SQLITE_ROW { throw error(code) }
        }
    }

    /// Resets the statement, binds its arguments with `bind`, and calls `row` for each row
    /// (read the columns there).
    func rows(_ bind: (RawStatement) -> Void, _ row: (RawStatement) throws -> Void) throws {
        sqlite3_reset(handle)
        bind(self)
        defer { sqlite3_reset(handle) }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            if code != SQLITE_ROW { throw error(code) }
            try row(self)
        }
    }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func optionalInt64(_ column: Int32) -> Int64? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, column)
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        return String(cString: text)
    }

    func optionalString(_ column: Int32) -> String? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : string(column)
    }

    private func error(_ code: Int32) -> DatabaseError {
        let message = sqlite3_errmsg(db.sqliteConnection).map { String(cString: $0) }
        let extended = sqlite3_extended_errcode(db.sqliteConnection)
        return DatabaseError(resultCode: ResultCode(rawValue: extended), message: message, sql: String(cString: sqlite3_sql(handle)))
    }
}

/// SQLite copies the bytes before `sqlite3_bind_text` returns.
private let rawTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
