import GRDB

/// Another process's hold on the database, as an operator's `sqlite3` or a backup would take
/// it: a second connection in an open write transaction, so the daemon's writes meet
/// SQLITE_BUSY until `release`.
public final class ExternalLock: @unchecked Sendable {
    private let queue: DatabaseQueue

    public init(path: String) throws {
        var config = Configuration()
        config.allowsUnsafeTransactions = true
        config.busyMode = .timeout(5)
        queue = try DatabaseQueue(path: path, configuration: config)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
    }

    public func release() {
        try? queue.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
    }
}
