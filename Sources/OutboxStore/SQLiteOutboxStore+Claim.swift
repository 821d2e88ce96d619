import GRDB
import OutboxCore

extension SQLiteOutboxStore {
    /// Takes up to `limit` due messages of `channel` and marks them `sending` in the same
    /// transaction: highest priority first, in submission order within a priority, at most one
    /// per recipient, skipping recipients that pacing or a retry holds (so they never block
    /// others). Messages whose `expires_at` passed become `expired`; free-form messages to a
    /// recipient whose 24-hour window is closed fail without a request.
    ///
    /// A template to a recipient outside their window also needs the portfolio's messaging
    /// limit (`reach`): a recipient reached in the last 24 h costs nothing more, a new one is
    /// counted, and when the budget is used up such messages wait (they are not failed).
    public func claim(channel: String, nowMillis: Int64, limit: Int, rules: RecipientRules = RecipientRules(),
                      reach: MessagingLimit? = nil) async throws(StoreError) -> [ClaimedMessage] {
        guard limit > 0 else { return [] }
        return try await write { db in
            // A spam limit (131048) holds normal and bulk traffic (high too once it repeats).
            var planner = ClaimPlanner(limit: limit, nowMillis: nowMillis, rules: rules, reach: reach, spamHold: try Self.spamHold(db, channel: channel))
            let sql = try ClaimStatements(db)
            var claimed: [ClaimedMessage] = []
            for priority in planner.priorities where !planner.isFull {
                var cursor: (Int64, Int64) = (Int64.min, 0)
                planner.startPriority()
                while let page = planner.nextPageSize() {
                    let rows = try Row.fetchAll(sql.page, arguments: [channel, priority.rank, nowMillis, cursor.0, cursor.1, page])
                    planner.read(rows: rows.count)
                    for candidate in rows where !planner.isFull {
                        cursor = (candidate["due_at"], candidate["id"])
                        let seen = Self.claimCandidate(candidate)
                        let row: Row
                        switch planner.screen(seen) {
                        case .skip: continue
                        case .judge: row = candidate
                        case .readEarliest:
                            guard let other = try Row.fetchOne(sql.earliest, arguments: [seen.recipientID, channel, priority.rank, nowMillis]) else { continue }
                            row = other
                        }
                        let message = Self.claimMessage(row)
                        var decision = planner.judge(message, recipient: seen.recipient)
                        if case .askReach(let q) = decision {
                            let used = q.needsUsed ? try Self.reachUsed(db, portfolio: q.portfolio, nowMillis: nowMillis, prune: true) : nil
                            let reached = try Int64.fetchOne(sql.reached, arguments: [q.portfolio, q.recipient])
                            decision = planner.answer(q, used: used, reachedMillis: reached)
                        }
                        switch decision {
                        case .expire(let reason):
                            try Self.finish(db, id: message.id, state: .expired, reason: reason, nowMillis: nowMillis)
                        case .fail(let reason):
                            try Self.finish(db, id: message.id, state: .failed, reason: reason, nowMillis: nowMillis)
                        case .wait, .askReach:
                            continue
                        case .take(let recordReach):
                            if recordReach, let reach {
                                try sql.recordReach.execute(arguments: [reach.portfolio, message.recipient, nowMillis])
                            }
                            // No hold here: while the request is open the `sending` row keeps the recipient
                            // out of claims, and its answer sets the pair-pacing hold (see `record`).
                            try sql.mark.execute(arguments: [nowMillis, message.id])
                            claimed.append(ClaimedMessage(
                                id: message.id, channel: channel, recipient: message.recipient, type: message.type, payload: row["payload"],
                                history: AttemptHistory(counted: row["attempts"], rateLimited: row["rate_limited"]),
                                createdMillis: row["created_at"]))
                        }
                    }
                    if rows.count < page { break }
                }
            }
            return claimed
        }
    }

    /// A page row as the planner sees it.
    static func claimCandidate(_ row: Row) -> ClaimCandidate {
        ClaimCandidate(
            message: claimMessage(row),
            recipient: RecipientState(lastInboundMillis: row["last_inbound_at"], windowClosedMillis: row["window_closed_at"],
                                      nextSendMillis: row["next_send_at"], unreachableMillis: row["unreachable_at"]),
            firstID: row["first_id"], open: row["open"] ?? false)
    }

    static func claimMessage(_ row: Row) -> ClaimMessage {
        ClaimMessage(id: row["id"], recipient: row["recipient"], type: row["type"], expiresMillis: row["expires_at"],
                     hasBody: (row["payload"] as String?) != nil)
    }

    /// The earliest `due_at` among the channel's queued messages, or nil when none is queued.
    /// Messages of a priority held by the channel's spam hold are due when it ends, at the soonest.
    public func nextDue(channel: String) async throws(StoreError) -> Int64? {
        try await read { db in
            var best: Int64?
            let hold = try Self.spamHold(db, channel: channel)
            for p in Priority.allCases {
                if var due = try Int64.fetchOne(db.cachedStatement(sql: """
                    SELECT due_at FROM messages WHERE state = 'queued' AND channel = ? AND priority = ? ORDER BY due_at LIMIT 1
                    """), arguments: [channel, p.rank]) {
                    if let hold, hold.holds(p, nowMillis: due) { due = hold.untilMillis }
                    best = min(best ?? due, due)
                }
            }
            return best
        }
    }

    /// The earliest hold on one of the channel's recipients after `nowMillis`: when a claim found
    /// due messages but every one was held, the worker waits for this.
    public func earliestHold(channel: String, nowMillis: Int64) async throws(StoreError) -> Int64? {
        try await read { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT min(next_send_at) FROM recipients WHERE channel = ? AND next_send_at > ?"),
                               arguments: [channel, nowMillis])
        }
    }

}
