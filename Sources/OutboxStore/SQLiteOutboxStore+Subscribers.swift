import GRDB
import OutboxCore

/// What the daemon keeps of a subscriber across restarts.
public struct SubscriberProgress: Sendable, Equatable {
    /// The last event it acknowledged (a 2xx); delivery resumes after it.
    public var cursor: Int64
    /// When it was marked failing (failing for longer than its give-up age), if it is.
    public var failingSinceMillis: Int64?
    public var lastError: String?
    public var lastSuccessMillis: Int64?

    public init(cursor: Int64, failingSinceMillis: Int64? = nil, lastError: String? = nil, lastSuccessMillis: Int64? = nil) {
        self.cursor = cursor
        self.failingSinceMillis = failingSinceMillis
        self.lastError = lastError
        self.lastSuccessMillis = lastSuccessMillis
    }
}

extension SQLiteOutboxStore {
    /// Every subscriber's stored progress, by name.
    public func subscriberProgress() async throws(StoreError) -> [String: SubscriberProgress] {
        try await read { db in
            var out: [String: SubscriberProgress] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, cursor, failing_since, last_error, last_success FROM subscriber_state") {
                out[row["name"]] = SubscriberProgress(cursor: row["cursor"], failingSinceMillis: row["failing_since"],
                                                      lastError: row["last_error"], lastSuccessMillis: row["last_success"])
            }
            return out
        }
    }

    /// Saves a subscriber's progress (one small transaction; callers do it about once a second).
    public func saveSubscriberProgress(name: String, _ p: SubscriberProgress) async throws(StoreError) {
        try await write { db in
            try db.cachedStatement(sql: """
                INSERT INTO subscriber_state (name, cursor, failing_since, last_error, last_success) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET cursor = excluded.cursor, failing_since = excluded.failing_since,
                    last_error = excluded.last_error, last_success = excluded.last_success
                """).execute(arguments: [name, p.cursor, p.failingSinceMillis, p.lastError, p.lastSuccessMillis])
        }
    }

    /// The newest event's id (0 when the log is empty): a new subscriber starts after it.
    public func newestEventID() async throws(StoreError) -> Int64 {
        try await read { db in try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(id) FROM event_log")) ?? 0 }
    }

    /// When event `id` was written, if it is kept.
    public func eventTime(id: Int64) async throws(StoreError) -> Int64? {
        try await read { db in try Int64.fetchOne(db.cachedStatement(sql: "SELECT at FROM event_log WHERE id = ?"), arguments: [id]) }
    }
}
