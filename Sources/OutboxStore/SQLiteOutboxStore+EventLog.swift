import GRDB
import OutboxCore

/// Writing the event log. Every store method that makes a change a user may react to calls
/// `logEvent` inside its own transaction, so an event exists exactly when its change
/// committed (no event for a change that rolled back, no change without its event).
/// Statements are cached; the hot paths (accepted, sent) build their JSON in SQL.
extension SQLiteOutboxStore {
    /// Appends one event. `data` holds the type's own fields (nil: none).
    static func logEvent(_ db: Database, _ type: EventType, channel: String?, messageID: Int64?, at: Int64,
                         data: [String: JSONValue]? = nil) throws {
        try db.cachedStatement(sql: "INSERT INTO event_log (at, type, channel, message_id, data) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [at, type.rawValue, channel, messageID, data.map { JSONValue.object($0).canonicalText }])
    }

    /// Appends one event about message `messageID`, with the message's channel.
    static func logMessageEvent(_ db: Database, _ type: EventType, messageID: Int64, at: Int64, data: [String: JSONValue]? = nil) throws {
        try db.cachedStatement(sql: "INSERT INTO event_log (at, type, channel, message_id, data) SELECT ?, ?, channel, id, ? FROM messages WHERE id = ?")
            .execute(arguments: [at, type.rawValue, data.map { JSONValue.object($0).canonicalText }, messageID])
    }

    /// The `accepted` events of messages `first...last`, all created in this transaction: one
    /// statement for a whole submission batch.
    static func logAccepted(_ db: Database, firstID: Int64, lastID: Int64) throws {
        try db.cachedStatement(sql: acceptedEventsSQL).execute(arguments: [firstID, lastID])
    }

    /// The statement of `logAccepted`, with the first and last message id as its parameters;
    /// public for the benchmark's floor of the store (`wa-outbox-bench`), which replays it.
    public static let acceptedEventsSQL = """
        INSERT INTO event_log (at, type, channel, message_id, data)
        SELECT created_at, 'accepted', channel, id,
               json_object('to', recipient, 'message_type', type,
                           'priority', CASE priority WHEN 0 THEN 'high' WHEN 1 THEN 'normal' ELSE 'bulk' END,
                           'idempotency_key', idempotency_key, 'import_id', import_id)
        FROM messages WHERE id BETWEEN ? AND ? ORDER BY id
        """

    /// A message the API took, with its wamid.
    static func logSent(_ db: Database, channel: String, messageID: Int64, wamid: String, at: Int64) throws {
        try db.cachedStatement(sql: """
            INSERT INTO event_log (at, type, channel, message_id, data) VALUES (?, 'sent', ?, ?, json_object('wamid', ?))
            """).execute(arguments: [at, channel, messageID, wamid])
    }

    /// A message that failed: the API's error (code, title, details) when one caused it, and the reason.
    static func logFailed(_ db: Database, channel: String?, messageID: Int64, at: Int64, reason: String, error: APIFailure?) throws {
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
            try logEvent(db, .failed, channel: channel, messageID: messageID, at: at, data: data)
        } else {
            try logMessageEvent(db, .failed, messageID: messageID, at: at, data: data)
        }
    }

    /// Appends an event from outside the store's own changes (opt-outs and template reviews
    /// write theirs through this until they live in the store; subscribers failing and
    /// recovering). One transaction of its own.
    /// Keys every event has; a type's own fields never take them (the JSON would hold a key twice).
    public static let reservedEventKeys: Set<String> = ["cursor", "at", "type", "channel", "message_id"]

    public func appendEvent(_ type: EventType, channel: String?, messageID: Int64? = nil, data: [String: JSONValue]? = nil,
                            nowMillis: Int64) async throws(StoreError) {
        let data = data?.filter { !Self.reservedEventKeys.contains($0.key) }
        try await write { db in try Self.logEvent(db, type, channel: channel, messageID: messageID, at: nowMillis, data: data) }
    }
}
