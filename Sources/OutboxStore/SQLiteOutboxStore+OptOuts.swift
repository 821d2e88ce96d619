import GRDB
import OutboxCore

/// The marketing opt-out list and the per-user marketing limit (131049): who must not get
/// marketing templates, and whose marketing waits. Marketing is known from the catalog
/// (`templates.category`), so a channel without a synced catalog has no marketing to stop.
extension SQLiteOutboxStore {
    /// Queued marketing templates to one recipient on one channel.
    static func queuedMarketing(_ db: Database, channel: String, recipient: String) throws -> [Int64] {
        try Int64.fetchAll(db.cachedStatement(sql: """
            SELECT m.id FROM messages m INDEXED BY messages_recipient
            JOIN templates t ON t.channel = m.channel AND t.name = json_extract(m.payload, '$.template.name')
                            AND t.language = json_extract(m.payload, '$.template.language.code')
            WHERE m.recipient = ? AND m.channel = ? AND m.state = 'queued' AND m.type = 'template' AND t.category = 'marketing'
            """), arguments: [recipient, channel])
    }

    /// Puts the customer on the channel's opt-out list (a later opt-out keeps the first one's
    /// time and source) and fails their queued marketing templates, without a request.
    /// - Returns: whether they were not on the list before.
    @discardableResult
    static func optOut(_ db: Database, channel: String, recipient: String, source: String, detail: String?, nowMillis: Int64) throws -> Bool {
        try db.cachedStatement(sql: "INSERT INTO optouts (channel, recipient, at, source, detail) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
            .execute(arguments: [channel, recipient, nowMillis, source, detail.map { String($0.prefix(500)) }])
        let new = db.changesCount > 0
        let reason = "\(recipient) opted out of marketing messages (\(source))"
        for id in try queuedMarketing(db, channel: channel, recipient: recipient) {
            try finish(db, id: id, state: .failed, reason: reason, nowMillis: nowMillis)
        }
        if new {
            try logEvent(db, .optedOut, channel: channel, messageID: nil, at: nowMillis, data: [
                "to": .string(recipient), "source": .string(source), "detail": detail.map(JSONValue.string) ?? .null,
            ])
        }
        return new
    }

    /// Takes the customer off the list. - Returns: whether they were on it.
    @discardableResult
    static func optIn(_ db: Database, channel: String, recipient: String, source: String, nowMillis: Int64) throws -> Bool {
        try db.cachedStatement(sql: "DELETE FROM optouts WHERE channel = ? AND recipient = ?").execute(arguments: [channel, recipient])
        guard db.changesCount > 0 else { return false }
        try logEvent(db, .optedIn, channel: channel, messageID: nil, at: nowMillis, data: ["to": .string(recipient), "source": .string(source)])
        return true
    }

    /// An operator's `optouts add`. - Returns: whether it was new.
    public func addOptOut(channel: String, recipient: String, detail: String?, nowMillis: Int64) async throws(StoreError) -> Bool {
        try await write { db in try Self.optOut(db, channel: channel, recipient: recipient, source: "operator", detail: detail, nowMillis: nowMillis) }
    }

    /// An operator's `optouts remove`. - Returns: whether the customer was on the list.
    public func removeOptOut(channel: String, recipient: String, nowMillis: Int64) async throws(StoreError) -> Bool {
        try await write { db in try Self.optIn(db, channel: channel, recipient: recipient, source: "operator", nowMillis: nowMillis) }
    }

    /// The customer's opt-out on the channel, if any.
    public func optOut(channel: String, recipient: String) async throws(StoreError) -> OptOutRecord? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT channel, recipient, at, source, detail FROM optouts WHERE channel = ? AND recipient = ?"),
                             arguments: [channel, recipient]).map(Self.optOutRecord)
        }
    }

    /// The list, newest first: one channel's or all, one recipient's or all, at most `limit`.
    public func optOuts(channel: String?, recipient: String?, limit: Int) async throws(StoreError) -> [OptOutRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT channel, recipient, at, source, detail FROM optouts
                WHERE (?1 IS NULL OR channel = ?1) AND (?2 IS NULL OR recipient = ?2) ORDER BY at DESC, channel, recipient LIMIT ?3
                """, arguments: [channel, recipient, limit]).map(Self.optOutRecord)
        }
    }

    static func optOutRecord(_ row: Row) -> OptOutRecord {
        OptOutRecord(channel: row["channel"], recipient: row["recipient"], atMillis: row["at"], source: row["source"], detail: row["detail"])
    }

    /// A 131049: no marketing template to this recipient before `untilMillis`; the queued ones
    /// wait until then (a later hold wins).
    static func holdMarketing(_ db: Database, channel: String, recipient: String, untilMillis: Int64, nowMillis: Int64) throws {
        try db.cachedStatement(sql: """
            INSERT INTO recipients (channel, recipient, marketing_hold_until) VALUES (?, ?, ?)
            ON CONFLICT(channel, recipient) DO UPDATE SET marketing_hold_until = max(coalesce(marketing_hold_until, 0), excluded.marketing_hold_until)
            """).execute(arguments: [channel, recipient, untilMillis])
        let reason = marketingHoldReason(untilMillis)
        let hold = try db.cachedStatement(sql: """
            UPDATE messages SET held_due_at = CASE WHEN held_by IS NULL THEN due_at ELSE held_due_at END, due_at = max(due_at, ?),
                   held_by = 'marketing', held_reason = ?, updated_at = ? WHERE id = ?
            """)
        for id in try queuedMarketing(db, channel: channel, recipient: recipient) {
            try hold.execute(arguments: [untilMillis, reason, nowMillis, id])
        }
    }

    public static func marketingHoldReason(_ untilMillis: Int64) -> String {
        "the recipient reached Meta's per-user marketing limit (131049): marketing templates to them wait until \(RFC3339.format(millis: untilMillis))"
    }
}
