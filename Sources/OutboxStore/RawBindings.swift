import GRDB
import GRDBSQLite

/// Binds and steps one of GRDB's cached statements through SQLite's own calls, for the one
/// statement per row of a submission batch (an import's million rows): GRDB's
/// `execute(arguments:)` builds a `StatementArguments` of boxed values per row and binds
/// them through a closure per argument, which cost the one writer about a fifth as much as
/// the insert itself. Only for statements on tables no observation tracks (GRDB's observers
/// hear of a statement from its own `execute`; `event_log`'s writes go through it).
struct RawBindings {
    let statement: SQLiteStatement
    let sql: String
    private var index: Int32 = 0

    init(_ statement: Statement) {
        self.statement = statement.sqliteStatement
        self.sql = statement.sql
    }

    /// Resets the statement and its bindings for the next row.
    mutating func reset() {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        index = 0
    }

    mutating func bind(_ value: String?) {
        index += 1
        guard var value else { return }
        let index = index, statement = statement
        value.withUTF8 { bytes in
            if let base = bytes.baseAddress, !bytes.isEmpty {
                _ = UnsafeRawPointer(base).withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    sqlite3_bind_text(statement, index, $0, Int32(bytes.count), Self.transient)
                }
            } else {
                // Empty text, not NULL: a nil pointer would bind NULL.
                _ = sqlite3_bind_text(statement, index, "", 0, Self.transient)
            }
        }
    }

    mutating func bind(_ value: Int64?) {
        index += 1
        guard let value else { return }
        sqlite3_bind_int64(statement, index, value)
    }

    mutating func bind(_ value: Int) { bind(Int64(value)) }

    /// Runs the statement to its end; throws SQLite's error as GRDB would.
    func step(_ db: Database) throws {
        var code = sqlite3_step(statement)
        while code == SQLITE_ROW { code = sqlite3_step(statement) }
        guard code == SQLITE_DONE else {
            let message = sqlite3_errmsg(db.sqliteConnection).map { String(cString: $0) }
            sqlite3_reset(statement)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
        }
    }

    /// SQLite copies the bytes before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
