import GRDB
import OutboxCore

extension SQLiteOutboxStore {
    /// At start-up: every message left in `sending` by a process that stopped mid-request.
    /// Its request may or may not have reached the API, so it gets an `unknown_outcome`
    /// attempt and waits `waitMillis` for a status that settles it.
    /// - Returns: how many were found.
    @discardableResult
    public func recoverInterrupted(nowMillis: Int64, waitMillis: Int64) async throws(StoreError) -> Int {
        try await write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT id, channel, updated_at FROM messages WHERE state = 'sending' AND awaiting_settlement = 0")
            for row in rows {
                try db.execute(sql: """
                    INSERT INTO attempts (message_id, channel, at, outcome, error_title, error_details)
                    VALUES (?, ?, ?, 'unknown_outcome', 'outcome unknown', 'the daemon stopped while this message was being sent')
                    """, arguments: [row["id"], row["channel"], row["updated_at"]])
                try db.execute(sql: """
                    UPDATE messages SET awaiting_settlement = 1, due_at = ?, attempts = attempts + 1, updated_at = ?,
                           last_error = 'outcome unknown: the daemon stopped while this message was being sent'
                    WHERE id = ?
                    """, arguments: [nowMillis + waitMillis, nowMillis, row["id"]])
                try Self.logEvent(db, .unknownOutcome, channel: row["channel"], messageID: row["id"], at: nowMillis, data: [
                    "detail": .string("the daemon stopped while this message was being sent"),
                    "settle_by": .string(RFC3339.format(millis: nowMillis + waitMillis)),
                ])
            }
            return rows.count
        }
    }

    /// How long past its deadline an unknown outcome waits for webhooks already stored but not
    /// yet applied (a backlog after a restart or a takeover): one of them may be its status, and
    /// resending before reading it sends twice. Bounded, so a stuck backlog does not hold it for ever.
    public static let settleBacklogGraceMillis: Int64 = 60_000

    /// Messages whose unknown outcome was not settled by a status in time: resent (back to
    /// the queue) or failed, per `[retry] unknown_outcome`. The timeline records which. Not
    /// while a webhook received before the deadline waits to be applied (`settleBacklogGraceMillis`).
    @discardableResult
    public func settleOverdue(nowMillis: Int64, action: RetryPolicy.UnknownOutcomeAction, maxAttempts: Int) async throws(StoreError) -> Int {
        try await write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, attempts FROM messages m WHERE state = 'sending' AND awaiting_settlement = 1 AND due_at <= ?
                  AND (due_at <= ? OR NOT EXISTS (SELECT 1 FROM inbox WHERE processed_at IS NULL AND received_at <= m.due_at))
                """, arguments: [nowMillis, nowMillis - Self.settleBacklogGraceMillis])
            for row in rows {
                let id: Int64 = row["id"]
                let attempts: Int = row["attempts"]
                if action == .resend, attempts < maxAttempts {
                    try db.execute(sql: """
                        UPDATE messages SET state = 'queued', awaiting_settlement = 0, due_at = ?, updated_at = ? WHERE id = ?
                        """, arguments: [nowMillis, nowMillis, id])
                    try db.execute(sql: "INSERT INTO events (message_id, at, status, detail) VALUES (?, ?, 'resend', ?)",
                                   arguments: [id, nowMillis, "no status settled the unknown outcome in time; sending again (may duplicate)"])
                } else {
                    let why = action == .fail ? "no status settled the unknown outcome in time; unknown_outcome = \"fail\""
                                              : "no status settled the unknown outcome and max_attempts is used up"
                    try Self.finish(db, id: id, state: .failed, reason: why, nowMillis: nowMillis)
                }
            }
            return rows.count
        }
    }

    /// The earliest settlement deadline of an unknown outcome, or nil.
    public func nextSettlementDeadline() async throws(StoreError) -> Int64? {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT min(due_at) FROM messages WHERE state = 'sending' AND awaiting_settlement = 1")
        }
    }
}
