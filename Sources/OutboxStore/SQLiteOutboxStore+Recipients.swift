import GRDB
import OutboxCore

extension SQLiteOutboxStore {
    /// Unique recipients reached outside their window in the portfolio's last 24 h. With
    /// `prune`, rows older than that go first (they no longer count and are never read again).
    static func reachUsed(_ db: Database, portfolio: String, nowMillis: Int64, prune: Bool = false) throws -> Int {
        let since = nowMillis - MessagingLimit.window
        if prune {
            try db.cachedStatement(sql: "DELETE FROM reach WHERE portfolio = ? AND reached_at <= ?").execute(arguments: [portfolio, since])
        }
        return try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM reach WHERE portfolio = ? AND reached_at > ?"),
                                arguments: [portfolio, since]) ?? 0
    }

    /// Per portfolio: recipients reached outside their window in the last 24 h, and when the
    /// oldest of them stops counting (when a used-up budget frees a place).
    public func reachUse(portfolios: [String], nowMillis: Int64) async throws(StoreError) -> [String: (used: Int, nextFreeMillis: Int64?)] {
        try await read { db in
            var out: [String: (used: Int, nextFreeMillis: Int64?)] = [:]
            for p in portfolios {
                let oldest = try Int64.fetchOne(db, sql: "SELECT min(reached_at) FROM reach WHERE portfolio = ? AND reached_at > ?",
                                                arguments: [p, nowMillis - MessagingLimit.window])
                out[p] = (try Self.reachUsed(db, portfolio: p, nowMillis: nowMillis), oldest.map { $0 + MessagingLimit.window })
            }
            return out
        }
    }

    /// Per channel: recipients whose 24-hour window is open now (they wrote within 24 h less the margin).
    public func openWindows(nowMillis: Int64, marginMillis: Int64) async throws(StoreError) -> [String: Int] {
        try await read { db in
            var out: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT channel, count(*) AS n FROM recipients INDEXED BY recipients_inbound
                WHERE last_inbound_at > ? AND (window_closed_at IS NULL OR window_closed_at < last_inbound_at)
                GROUP BY channel
                """, arguments: [nowMillis - RecipientRules.windowMillis + marginMillis]) {
                out[row["channel"]] = row["n"]
            }
            return out
        }
    }

    static func recipientState(_ db: Database, channel: String, recipient: String) throws -> RecipientState? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT last_inbound_at, window_closed_at, next_send_at, unreachable_at FROM recipients WHERE channel = ? AND recipient = ?
            """), arguments: [channel, recipient]) else { return nil }
        return RecipientState(lastInboundMillis: row["last_inbound_at"], windowClosedMillis: row["window_closed_at"], nextSendMillis: row["next_send_at"],
                              unreachableMillis: row["unreachable_at"])
    }

    /// No request to this recipient before `untilMillis` (a later hold wins).
    static func hold(_ db: Database, channel: String, recipient: String, untilMillis: Int64) throws {
        try db.cachedStatement(sql: """
            INSERT INTO recipients (channel, recipient, next_send_at) VALUES (?, ?, ?)
            ON CONFLICT(channel, recipient) DO UPDATE SET next_send_at = max(coalesce(next_send_at, 0), excluded.next_send_at)
            """).execute(arguments: [channel, recipient, untilMillis])
    }

    /// The recipient's state, for the window check at submission.
    public func recipientState(channel: String, recipient: String) async throws(StoreError) -> RecipientState? {
        try await read { db in try Self.recipientState(db, channel: channel, recipient: recipient) }
    }
}
