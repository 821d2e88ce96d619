import OutboxCore
import OutboxStore
import PostgresNIO

extension PostgresOutboxStore {
    /// Writers append events to `event_pending` and take no lock for it; after their commit,
    /// `publish_events` (migration 0003) moves them into `event_log`, where they get their ids,
    /// under the one advisory lock only the publisher takes. The publisher is one statement on
    /// the server, so a daemon frozen mid-transaction (SIGSTOP, a VM pause) holds nobody up but
    /// the rows it locked, and ids still commit in order: a reader that sees id N has seen every
    /// id below it (the cursor contract). Rows of one transaction publish together, in the order
    /// they were written; a later transaction about the same message locks its row first, so
    /// its events come after.
    func logEvent(_ conn: PostgresConnection, _ type: EventType, channel: String?, messageID: Int64?, at: Int64, data: [String: JSONValue]? = nil) async throws {
        try await conn.exec("""
            INSERT INTO event_pending (at, type, channel, message_id, data) VALUES (\(at), \(type.rawValue), \(channel), \(messageID), \(eventData(data)))
            """, logger: logger)
        notePendingEvents()
    }

    /// Marks the running `write` as one that appended events: it publishes them after its commit.
    func notePendingEvents() { PendingEvents.current?.mark() }

    /// Publishes every committed pending event (this daemon's and any other's), then rings the
    /// event signal. In rounds after commits that wrote events, and every 2 s for events a daemon
    /// committed but did not live to publish. A failure leaves them pending for the next call.
    @discardableResult
    public func publishEvents() async -> Int {
        var total = 0
        do {
            while true {
                let moved = try await read { conn in
                    try await conn.value("SELECT publish_events(\(Int32(Self.publishBatch))::integer)", as: Int64.self, logger: self.logger) ?? 0
                }
                total += Int(moved)
                if moved < Self.publishBatch { break }
            }
        } catch {
            logger.warning("cannot publish events now; they stay pending until the next commit or beat", metadata: ["error": "\(error)"])
        }
        if total > 0 { eventSignal.ring() }
        return total
    }

    /// Publishes pending events if any are there (a cheap probe when none are).
    func publishLeftovers() async {
        let pending = try? await read { conn in
            try await conn.value("SELECT EXISTS (SELECT 1 FROM event_pending)", as: Bool.self, logger: self.logger)
        }
        if pending == true { await publishEvents() }
    }

    static let publishBatch: Int64 = 10_000

    func logMessageEvent(_ conn: PostgresConnection, _ type: EventType, messageID: Int64, at: Int64, data: [String: JSONValue]? = nil) async throws {
        try await conn.exec("""
            INSERT INTO event_pending (at, type, channel, message_id, data) SELECT \(at), \(type.rawValue), channel, id, \(eventData(data)) FROM messages WHERE id = \(messageID)
            """, logger: logger)
        notePendingEvents()
    }

    func logAccepted(_ conn: PostgresConnection, ids: [Int64]) async throws {
        try await conn.exec("""
            INSERT INTO event_pending (at, type, channel, message_id, data)
            SELECT created_at, 'accepted', channel, id,
                   json_build_object('to', recipient, 'message_type', type,
                                     'priority', CASE priority WHEN 0 THEN 'high' WHEN 1 THEN 'normal' ELSE 'bulk' END,
                                     'idempotency_key', idempotency_key, 'import_id', import_id)::text
            FROM messages WHERE id = ANY(\(ids)) ORDER BY id
            """, logger: logger)
        notePendingEvents()
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
