import OutboxCore
import OutboxStore
import PostgresNIO

/// The marketing opt-out list and the per-user marketing limit (131049) on PostgreSQL, as
/// SQLite's `+OptOuts`: who must not get marketing templates, and whose marketing waits.
/// Marketing is known from the catalog (`templates.category`), so a channel without a synced
/// catalog has no marketing to stop.
extension PostgresOutboxStore {
    /// Queued marketing templates to one recipient on one channel, locked: a claim on another
    /// daemon that read them as due waits, then sees them failed or held and leaves them.
    func queuedMarketing(_ conn: PostgresConnection, channel: String, recipient: String) async throws -> [Int64] {
        try await conn.rows("""
            SELECT m.id FROM messages m
            JOIN templates t ON t.channel = m.channel AND t.name = m.payload::json #>> '{template,name}'
                            AND t.language = m.payload::json #>> '{template,language,code}'
            WHERE m.recipient = \(recipient) AND m.channel = \(channel) AND m.state = 'queued' AND m.type = 'template' AND t.category = 'marketing'
            ORDER BY m.id FOR UPDATE OF m
            """, logger: logger).map { try $0.get("id", as: Int64.self) }
    }

    /// Puts the customer on the channel's opt-out list (a later opt-out keeps the first one's
    /// time and source) and fails their queued marketing templates, without a request.
    /// - Returns: whether they were not on the list before.
    @discardableResult
    func optOut(_ conn: PostgresConnection, channel: String, recipient: String, source: String, detail: String?, nowMillis: Int64) async throws -> Bool {
        let new = !(try await conn.rows("""
            INSERT INTO optouts (channel, recipient, at, source, detail) VALUES (\(channel), \(recipient), \(nowMillis), \(source), \(detail.map { String($0.prefix(500)) }))
            ON CONFLICT DO NOTHING RETURNING 1
            """, logger: logger).isEmpty)
        let reason = "\(recipient) opted out of marketing messages (\(source))"
        for id in try await queuedMarketing(conn, channel: channel, recipient: recipient) {
            try await finish(conn, id: id, state: .failed, reason: reason, nowMillis: nowMillis)
        }
        if new {
            try await logEvent(conn, .optedOut, channel: channel, messageID: nil, at: nowMillis, data: [
                "to": .string(recipient), "source": .string(source), "detail": detail.map(JSONValue.string) ?? .null,
            ])
        }
        return new
    }

    /// Takes the customer off the list. - Returns: whether they were on it.
    @discardableResult
    func optIn(_ conn: PostgresConnection, channel: String, recipient: String, source: String, nowMillis: Int64) async throws -> Bool {
        guard !(try await conn.rows("DELETE FROM optouts WHERE channel = \(channel) AND recipient = \(recipient) RETURNING 1", logger: logger).isEmpty) else {
            return false
        }
        try await logEvent(conn, .optedIn, channel: channel, messageID: nil, at: nowMillis, data: ["to": .string(recipient), "source": .string(source)])
        return true
    }

    /// An operator's `optouts add`. - Returns: whether it was new.
    public func addOptOut(channel: String, recipient: String, detail: String?, nowMillis: Int64) async throws(StoreError) -> Bool {
        try await write { conn in
            return try await self.optOut(conn, channel: channel, recipient: recipient, source: "operator", detail: detail, nowMillis: nowMillis)
        }
    }

    /// An operator's `optouts remove`. - Returns: whether the customer was on the list.
    public func removeOptOut(channel: String, recipient: String, nowMillis: Int64) async throws(StoreError) -> Bool {
        try await write { conn in
            return try await self.optIn(conn, channel: channel, recipient: recipient, source: "operator", nowMillis: nowMillis)
        }
    }

    /// The customer's opt-out on the channel, if any.
    public func optOut(channel: String, recipient: String) async throws(StoreError) -> OptOutRecord? {
        try await read { conn in
            try await conn.rows("SELECT channel, recipient, at, source, detail FROM optouts WHERE channel = \(channel) AND recipient = \(recipient)",
                                logger: self.logger).first.map(Self.optOutRecord)
        }
    }

    /// The list, newest first: one channel's or all, one recipient's or all, at most `limit`.
    public func optOuts(channel: String?, recipient: String?, limit: Int) async throws(StoreError) -> [OptOutRecord] {
        try await read { conn in
            try await conn.rows("""
                SELECT channel, recipient, at, source, detail FROM optouts
                WHERE (\(channel)::text IS NULL OR channel = \(channel)) AND (\(recipient)::text IS NULL OR recipient = \(recipient))
                ORDER BY at DESC, channel COLLATE "C", recipient COLLATE "C" LIMIT \(max(0, limit))
                """, logger: self.logger).map(Self.optOutRecord)
        }
    }

    static func optOutRecord(_ r: PostgresRandomAccessRow) throws -> OptOutRecord {
        OptOutRecord(channel: try r.get("channel"), recipient: try r.get("recipient"), atMillis: try r.get("at"), source: try r.get("source"),
                     detail: try r.get("detail"))
    }

    /// A 131049: no marketing template to this recipient before `untilMillis`; the queued ones
    /// wait until then (a later hold wins).
    func holdMarketing(_ conn: PostgresConnection, channel: String, recipient: String, untilMillis: Int64, nowMillis: Int64) async throws {
        try await conn.exec("""
            INSERT INTO recipients (channel, recipient, marketing_hold_until) VALUES (\(channel), \(recipient), \(untilMillis))
            ON CONFLICT (channel, recipient) DO UPDATE
            SET marketing_hold_until = greatest(coalesce(recipients.marketing_hold_until, 0), excluded.marketing_hold_until)
            """, logger: logger)
        let ids = try await queuedMarketing(conn, channel: channel, recipient: recipient)
        guard !ids.isEmpty else { return }
        try await conn.exec("""
            UPDATE messages SET held_due_at = CASE WHEN held_by IS NULL THEN due_at ELSE held_due_at END, due_at = greatest(due_at, \(untilMillis)),
                   held_by = 'marketing', held_reason = \(SQLiteOutboxStore.marketingHoldReason(untilMillis)), updated_at = \(nowMillis)
            WHERE id = ANY(\(ids))
            """, logger: logger)
    }
}
