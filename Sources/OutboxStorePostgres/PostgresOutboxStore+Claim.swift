import OutboxCore
import OutboxStore
import PostgresNIO

extension PostgresOutboxStore {
    /// Takes up to `limit` due messages of `channel` and marks them `sending` in the same
    /// transaction, by the rules of `ClaimPlanner` (the same as SQLite's claim).
    ///
    /// A template outside the window locks the portfolio's row in `portfolio_locks` before it
    /// counts reach: channels of one portfolio may be sent by different daemons, and the lock
    /// makes their admissions take turns, so the budget is exact across them.
    public func claim(channel: String, nowMillis: Int64, limit: Int, rules: RecipientRules, reach: MessagingLimit?) async throws(StoreError) -> [ClaimedMessage] {
        try await claim(channel: channel, nowMillis: nowMillis, limit: limit, rules: rules, reach: reach, fenceBy: nil)
    }

    /// The claim, fenced by a lease when `fence` is given (see `claim(...fence:)`).
    func claim(channel: String, nowMillis: Int64, limit: Int, rules: RecipientRules, reach: MessagingLimit?,
               fenceBy fence: (daemon: String, token: Int64)?) async throws(StoreError) -> [ClaimedMessage] {
        guard limit > 0 else { return [] }
        return try await write { conn in
            if let fence {
                // First, as this owner with this token: the share lock makes a takeover wait for
                // this claim (and then see its rows); a lease that moved takes nothing.
                guard !(try await conn.rows("""
                    SELECT 1 FROM channel_leases WHERE channel = \(channel) AND owner = \(fence.daemon) AND token = \(fence.token) FOR SHARE
                    """, logger: self.logger).isEmpty) else { throw StoreError.leaseLost(channel: channel) }
            }
            var planner = ClaimPlanner(limit: limit, nowMillis: nowMillis, rules: rules, reach: reach, spamHold: try await self.spamHold(conn, channel: channel))
            var claimed: [ClaimedMessage] = []
            // Messages the rules end without a request: written after the scan.
            var endings: [(id: Int64, state: MessageState, reason: String)] = []
            for priority in planner.priorities where !planner.isFull {
                var cursor: (Int64, Int64) = (Int64.min, 0)
                planner.startPriority()
                while let page = planner.nextPageSize() {
                    // `open` is a scalar subquery with LIMIT, not EXISTS: PostgreSQL may run an
                    // EXISTS as one hashed scan of every `sending` row of every channel, which
                    // made a claim of 50 take 40 ms with 15,000 messages in flight (2 ms now).
                    let rows = try await conn.rows("""
                        SELECT m.id, m.recipient, m.type, m.payload, m.attempts, m.rate_limited, m.created_at, m.due_at, m.expires_at,
                               r.last_inbound_at, r.window_closed_at, r.next_send_at, r.unreachable_at,
                               CASE WHEN r.next_send_at > \(nowMillis) THEN NULL ELSE
                                 (SELECT e.id FROM messages e
                                  WHERE e.channel = m.channel AND e.recipient = m.recipient AND e.priority = m.priority
                                    AND e.state = 'queued' AND e.due_at <= \(nowMillis)
                                  ORDER BY e.id LIMIT 1) END AS first_id,
                               CASE WHEN r.next_send_at > \(nowMillis) THEN false ELSE
                                 (SELECT true FROM messages s WHERE s.channel = m.channel AND s.recipient = m.recipient AND s.state = 'sending' LIMIT 1) IS NOT NULL
                               END AS open
                        FROM messages m
                        LEFT JOIN recipients r ON r.channel = m.channel AND r.recipient = m.recipient
                        WHERE m.state = 'queued' AND m.channel = \(channel) AND m.priority = \(priority.rank) AND m.due_at <= \(nowMillis)
                          AND (m.due_at, m.id) > (\(cursor.0), \(cursor.1))
                        ORDER BY m.due_at, m.id LIMIT \(page)
                        """, logger: self.logger)
                    planner.read(rows: rows.count)
                    for candidate in rows where !planner.isFull {
                        cursor = (try candidate.get("due_at"), try candidate.get("id"))
                        let seen = try Self.claimCandidate(candidate)
                        let row: PostgresRandomAccessRow
                        switch planner.screen(seen) {
                        case .skip: continue
                        case .judge: row = candidate
                        case .readEarliest:
                            guard let other = try await conn.rows("""
                                SELECT id, recipient, type, payload, attempts, rate_limited, created_at, due_at, expires_at FROM messages
                                WHERE channel = \(channel) AND recipient = \(seen.recipientID) AND priority = \(priority.rank) AND state = 'queued' AND due_at <= \(nowMillis)
                                ORDER BY id LIMIT 1
                                """, logger: self.logger).first else { continue }
                            row = other
                        }
                        let message = try Self.claimMessage(row)
                        var decision = planner.judge(message, recipient: seen.recipient)
                        if case .askReach(let q) = decision {
                            var used: Int?
                            if q.needsUsed {
                                try await conn.exec("INSERT INTO portfolio_locks (portfolio) VALUES (\(q.portfolio)) ON CONFLICT DO NOTHING", logger: self.logger)
                                try await conn.exec("SELECT 1 FROM portfolio_locks WHERE portfolio = \(q.portfolio) FOR UPDATE", logger: self.logger)
                                used = try await self.reachUsed(conn, portfolio: q.portfolio, nowMillis: nowMillis, prune: true)
                            }
                            let reached = try await conn.value("SELECT reached_at FROM reach WHERE portfolio = \(q.portfolio) AND recipient = \(q.recipient)",
                                                               as: Int64.self, logger: self.logger)
                            decision = planner.answer(q, used: used, reachedMillis: reached)
                        }
                        switch decision {
                        case .expire(let reason):
                            endings.append((message.id, .expired, reason))
                        case .fail(let reason):
                            endings.append((message.id, .failed, reason))
                        case .wait, .askReach:
                            continue
                        case .take(let recordReach):
                            if recordReach, let reach {
                                try await conn.exec("""
                                    INSERT INTO reach (portfolio, recipient, reached_at) VALUES (\(reach.portfolio), \(message.recipient), \(nowMillis))
                                    ON CONFLICT (portfolio, recipient) DO UPDATE SET reached_at = excluded.reached_at
                                    """, logger: self.logger)
                            }
                            // Marked `sending` at the end, in one statement: the cursor has moved past
                            // this row, and `seen` keeps its recipient out of the rest of the claim.
                            claimed.append(ClaimedMessage(
                                id: message.id, channel: channel, recipient: message.recipient, type: message.type, payload: try row.get("payload"),
                                history: AttemptHistory(counted: try row.get("attempts"), rateLimited: try row.get("rate_limited")),
                                createdMillis: try row.get("created_at"), claimToken: fence?.token))
                        }
                    }
                    if rows.count < page { break }
                }
            }
            if !endings.isEmpty {
                for e in endings { try await self.finish(conn, id: e.id, state: e.state, reason: e.reason, nowMillis: nowMillis, ifState: .queued) }
            }
            if !claimed.isEmpty {
                // Only rows still queued and due: the pages were read without locks, and another
                // daemon's webhook (an opt-out, a paused template) or a cancel may have failed or
                // held one since (SQLite's one writer cannot interleave; here the row lock and this
                // re-check stand in for it).
                let marked = Set(try await conn.rows("""
                    UPDATE messages SET state = 'sending', updated_at = \(nowMillis), claim_token = \(fence?.token)
                    WHERE id = ANY(\(claimed.map(\.id))) AND state = 'queued' AND due_at <= \(nowMillis)
                    RETURNING id
                    """, logger: self.logger).map { try $0.get("id", as: Int64.self) })
                claimed.removeAll { !marked.contains($0.id) }
            }
            return claimed
        }
    }

    static func claimCandidate(_ row: PostgresRandomAccessRow) throws -> ClaimCandidate {
        ClaimCandidate(
            message: try claimMessage(row),
            recipient: RecipientState(lastInboundMillis: try row.get("last_inbound_at"), windowClosedMillis: try row.get("window_closed_at"),
                                      nextSendMillis: try row.get("next_send_at"), unreachableMillis: try row.get("unreachable_at")),
            firstID: try row.get("first_id"), open: try row.get("open", as: Bool?.self) ?? false)
    }

    static func claimMessage(_ row: PostgresRandomAccessRow) throws -> ClaimMessage {
        ClaimMessage(id: try row.get("id"), recipient: try row.get("recipient"), type: try row.get("type"), expiresMillis: try row.get("expires_at"),
                     hasBody: try row.get("payload", as: String?.self) != nil)
    }

    /// Unique recipients reached outside their window in the portfolio's last 24 h; with
    /// `prune`, older rows go first.
    func reachUsed(_ conn: PostgresConnection, portfolio: String, nowMillis: Int64, prune: Bool = false) async throws -> Int {
        let since = nowMillis - MessagingLimit.window
        if prune { try await conn.exec("DELETE FROM reach WHERE portfolio = \(portfolio) AND reached_at <= \(since)", logger: logger) }
        return try await conn.value("SELECT count(*) FROM reach WHERE portfolio = \(portfolio) AND reached_at > \(since)", as: Int.self, logger: logger) ?? 0
    }

    /// Ends a message without a request: expired, or failed by a local rule.
    /// With `ifState`, only a message still in that state (nothing is written otherwise).
    func finish(_ conn: PostgresConnection, id: Int64, state: MessageState, reason: String, nowMillis: Int64, ifState: MessageState? = nil) async throws {
        let changed = try await conn.rows("""
            UPDATE messages SET state = \(state.rawValue), last_error = \(reason), updated_at = \(nowMillis), awaiting_settlement = false
            WHERE id = \(id) AND (\(ifState?.rawValue)::text IS NULL OR state = \(ifState?.rawValue)) RETURNING id
            """, logger: logger)
        guard !changed.isEmpty else { return }
        try await conn.exec("""
            INSERT INTO events (message_id, at, status, detail) VALUES (\(id), \(nowMillis), \(state.rawValue), \(reason)) ON CONFLICT DO NOTHING
            """, logger: logger)
        switch state {
        case .failed: try await logFailed(conn, channel: nil, messageID: id, at: nowMillis, reason: reason, error: nil)
        case .expired, .cancelled:
            try await logMessageEvent(conn, state == .expired ? .expired : .cancelled, messageID: id, at: nowMillis, data: ["reason": .string(reason)])
        default: break
        }
    }

    /// The earliest `due_at` among the channel's queued messages (a priority the spam hold
    /// holds is due when the hold ends, at the soonest).
    public func nextDue(channel: String) async throws(StoreError) -> Int64? {
        try await read { conn in
            var best: Int64?
            let hold = try await self.spamHold(conn, channel: channel)
            for p in Priority.allCases {
                if var due = try await conn.value("""
                    SELECT due_at FROM messages WHERE state = 'queued' AND channel = \(channel) AND priority = \(p.rank) ORDER BY due_at LIMIT 1
                    """, as: Int64.self, logger: self.logger) {
                    if let hold, hold.holds(p, nowMillis: due) { due = hold.untilMillis }
                    best = min(best ?? due, due)
                }
            }
            return best
        }
    }

    /// The earliest hold on one of the channel's recipients after `nowMillis`.
    public func earliestHold(channel: String, nowMillis: Int64) async throws(StoreError) -> Int64? {
        try await read { conn in
            try await conn.value("SELECT min(next_send_at) FROM recipients WHERE channel = \(channel) AND next_send_at > \(nowMillis)", as: Int64.self, logger: self.logger)
        }
    }

    /// The recipient's state, for the window check at submission.
    public func recipientState(channel: String, recipient: String) async throws(StoreError) -> RecipientState? {
        try await read { conn in
            guard let row = try await conn.rows("""
                SELECT last_inbound_at, window_closed_at, next_send_at, unreachable_at FROM recipients WHERE channel = \(channel) AND recipient = \(recipient)
                """, logger: self.logger).first else { return nil }
            return RecipientState(lastInboundMillis: try row.get("last_inbound_at"), windowClosedMillis: try row.get("window_closed_at"),
                                  nextSendMillis: try row.get("next_send_at"), unreachableMillis: try row.get("unreachable_at"))
        }
    }
}
