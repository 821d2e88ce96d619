import OutboxCore
import OutboxStore
import PostgresNIO

extension PostgresOutboxStore {
    /// Every message left in `sending` by a daemon that stopped mid-request gets an
    /// `unknown_outcome` attempt and waits `waitMillis` for a status that settles it.
    ///
    /// This is the single-daemon rule (at start, the whole database). With several daemons a
    /// channel's in-flight rows are settled by whoever takes the channel's lease over; until
    /// leases exist, only one daemon may run on a database.
    @discardableResult
    public func recoverInterrupted(nowMillis: Int64, waitMillis: Int64) async throws(StoreError) -> Int {
        try await write { conn in
            let detail = "the daemon stopped while this message was being sent"
            let rows = try await conn.rows("""
                SELECT id, channel, updated_at FROM messages WHERE state = 'sending' AND NOT awaiting_settlement FOR UPDATE
                """, logger: self.logger)
            for row in rows {
                let id = try row.get("id", as: Int64.self), channel = try row.get("channel", as: String.self)
                try await conn.exec("""
                    INSERT INTO attempts (message_id, channel, at, outcome, error_title, error_details)
                    VALUES (\(id), \(channel), \(try row.get("updated_at", as: Int64.self)), 'unknown_outcome', 'outcome unknown', \(detail))
                    """, logger: self.logger)
                try await conn.exec("""
                    UPDATE messages SET awaiting_settlement = true, due_at = \(nowMillis + waitMillis), attempts = attempts + 1, updated_at = \(nowMillis),
                           last_error = \("outcome unknown: " + detail)
                    WHERE id = \(id)
                    """, logger: self.logger)
                try await self.logEvent(conn, .unknownOutcome, channel: channel, messageID: id, at: nowMillis, data: [
                    "detail": .string(detail), "settle_by": .string(RFC3339.format(millis: nowMillis + waitMillis)),
                ])
            }
            return rows.count
        }
    }

    /// Unknown outcomes not settled by a status in time: resent or failed, per `[retry] unknown_outcome`;
    /// not while a webhook any daemon received before the deadline waits to be applied (as SQLite's).
    @discardableResult
    public func settleOverdue(nowMillis: Int64, action: RetryPolicy.UnknownOutcomeAction, maxAttempts: Int) async throws(StoreError) -> Int {
        try await write { conn in
            let rows = try await conn.rows("""
                SELECT id, attempts FROM messages m WHERE state = 'sending' AND awaiting_settlement AND due_at <= \(nowMillis)
                  AND (due_at <= \(nowMillis - SQLiteOutboxStore.settleBacklogGraceMillis)
                       OR NOT EXISTS (SELECT 1 FROM inbox WHERE processed_at IS NULL AND received_at <= m.due_at))
                FOR UPDATE OF m
                """, logger: self.logger)
            for row in rows {
                let id = try row.get("id", as: Int64.self), attempts = try row.get("attempts", as: Int.self)
                if action == .resend, attempts < maxAttempts {
                    try await conn.exec("""
                        UPDATE messages SET state = 'queued', awaiting_settlement = false, due_at = \(nowMillis), updated_at = \(nowMillis) WHERE id = \(id)
                        """, logger: self.logger)
                    try await conn.exec("""
                        INSERT INTO events (message_id, at, status, detail)
                        VALUES (\(id), \(nowMillis), 'resend', 'no status settled the unknown outcome in time; sending again (may duplicate)')
                        """, logger: self.logger)
                } else {
                    let why = action == .fail ? "no status settled the unknown outcome in time; unknown_outcome = \"fail\""
                                              : "no status settled the unknown outcome and max_attempts is used up"
                    try await self.finish(conn, id: id, state: .failed, reason: why, nowMillis: nowMillis)
                }
            }
            return rows.count
        }
    }

    /// The earliest settlement deadline of an unknown outcome, or nil.
    public func nextSettlementDeadline() async throws(StoreError) -> Int64? {
        try await read { conn in
            try await conn.value("SELECT min(due_at) FROM messages WHERE state = 'sending' AND awaiting_settlement", as: Int64.self, logger: self.logger)
        }
    }
}
