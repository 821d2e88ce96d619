import OutboxCore
import OutboxStore
import PostgresNIO

extension PostgresOutboxStore {
    /// Every transaction that writes the event log takes this advisory lock first and holds it
    /// to its commit, so event ids commit in order across daemons: a reader that sees id N has
    /// seen every id below it (the cursor contract). Without it, two daemons' transactions could
    /// commit ids 8 and 7 in that order, and a reader between them would skip 7 forever.
    /// Keyed by the schema too: outboxes in other schemas of the database do not wait.
    ///
    /// Lock order: a transaction that may write an event takes this lock before it locks any
    /// `messages`, `inbox` or `channel_state` row (after a `channel_leases` row is fine: nobody
    /// holding this lock waits for one). Taken later, it deadlocks: a status webhook holding it
    /// waits for a message row that a recorder holds while waiting for it (seen with three
    /// daemons). Only a submission takes it last, as it locks no existing row.
    static let eventLogLockKey: Int32 = 0x7761_6F65

    func lockEventLog(_ conn: PostgresConnection) async throws {
        try await conn.exec("SELECT pg_advisory_xact_lock(\(Self.eventLogLockKey), hashtext(current_schema()))", logger: logger)
    }

    func logEvent(_ conn: PostgresConnection, _ type: EventType, channel: String?, messageID: Int64?, at: Int64, data: [String: JSONValue]? = nil) async throws {
        try await lockEventLog(conn)
        try await conn.exec("""
            INSERT INTO event_log (at, type, channel, message_id, data) VALUES (\(at), \(type.rawValue), \(channel), \(messageID), \(eventData(data)))
            """, logger: logger)
        eventSignal.ring()
    }

    func logMessageEvent(_ conn: PostgresConnection, _ type: EventType, messageID: Int64, at: Int64, data: [String: JSONValue]? = nil) async throws {
        try await lockEventLog(conn)
        try await conn.exec("""
            INSERT INTO event_log (at, type, channel, message_id, data) SELECT \(at), \(type.rawValue), channel, id, \(eventData(data)) FROM messages WHERE id = \(messageID)
            """, logger: logger)
        eventSignal.ring()
    }

    func logAccepted(_ conn: PostgresConnection, ids: [Int64]) async throws {
        try await lockEventLog(conn)
        try await conn.exec("""
            INSERT INTO event_log (at, type, channel, message_id, data)
            SELECT created_at, 'accepted', channel, id,
                   json_build_object('to', recipient, 'message_type', type,
                                     'priority', CASE priority WHEN 0 THEN 'high' WHEN 1 THEN 'normal' ELSE 'bulk' END,
                                     'idempotency_key', idempotency_key, 'import_id', import_id)::text
            FROM messages WHERE id = ANY(\(ids)) ORDER BY id
            """, logger: logger)
        eventSignal.ring()
    }

    func logFailed(_ conn: PostgresConnection, channel: String?, messageID: Int64, at: Int64, reason: String, error: APIFailure?) async throws {
        var data: [String: JSONValue] = ["reason": .string(reason)]
        if let error {
            data["error"] = .object([
                "code": error.code.map { .int(Int64($0)) } ?? .null,
                "title": error.title.map(JSONValue.string) ?? .null,
                "details": error.details.map(JSONValue.string) ?? .null,
                "http_status": error.httpStatus.map { .int(Int64($0)) } ?? .null,
            ])
        }
        if let channel {
            try await logEvent(conn, .failed, channel: channel, messageID: messageID, at: at, data: data)
        } else {
            try await logMessageEvent(conn, .failed, messageID: messageID, at: at, data: data)
        }
    }

    /// Appends an event that no message change carries (a subscriber failing, a reload).
    public func appendEvent(_ type: EventType, channel: String?, messageID: Int64?, data: [String: JSONValue]?, nowMillis: Int64) async throws(StoreError) {
        let data = data?.filter { !SQLiteOutboxStore.reservedEventKeys.contains($0.key) }
        try await write { conn in try await self.logEvent(conn, type, channel: channel, messageID: messageID, at: nowMillis, data: data) }
    }

    /// The newest timeline event's id (the metrics count endings after it), as SQLite's.
    public func lastEventID() async throws(StoreError) -> Int64 {
        try await read { conn in try await conn.value("SELECT coalesce(max(id), 0) FROM events", as: Int64.self, logger: self.logger) ?? 0 }
    }

    /// The cursor of the newest event in the log (0: none yet).
    public func newestEventID() async throws(StoreError) -> Int64 {
        try await read { conn in try await conn.value("SELECT coalesce(max(id), 0) FROM event_log", as: Int64.self, logger: self.logger) ?? 0 }
    }
}
