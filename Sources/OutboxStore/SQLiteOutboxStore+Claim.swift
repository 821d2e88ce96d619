import GRDB
import OutboxCore

extension SQLiteOutboxStore {
    /// Takes up to `limit` due messages of `channel` and marks them `sending` in the same
    /// transaction (shared with other claims and records handed in meanwhile): highest priority first, in submission order within a priority, at most one
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
        return try await combinedWrite { db in
            // A spam limit (131048) holds normal and bulk traffic (high too once it repeats).
            var planner = ClaimPlanner(limit: limit, nowMillis: nowMillis, rules: rules, reach: reach, spamHold: try Self.spamHold(db, channel: channel))
            let sql = try ClaimStatements(db)
            var claimed: [ClaimedMessage] = []
            for priority in planner.priorities where !planner.isFull {
                var cursor: (Int64, Int64) = (Int64.min, 0)
                planner.startPriority()
                while let page = planner.nextPageSize() {
                    let rows = try sql.readPage(channel: channel, priority: priority.rank, nowMillis: nowMillis, after: cursor, limit: page)
                    planner.read(rows: rows.count)
                    for candidate in rows where !planner.isFull {
                        cursor = (candidate.dueAt, candidate.seen.id)
                        let seen = candidate.seen
                        let body: ClaimBody
                        let message: ClaimMessage
                        switch planner.screen(seen) {
                        case .skip: continue
                        case .judge: (body, message) = (candidate.body, seen.message)
                        case .readEarliest:
                            guard let other = try Row.fetchOne(sql.earliest, arguments: [seen.recipientID, channel, priority.rank, nowMillis]) else { continue }
                            (body, message) = (Self.claimBody(other), Self.claimMessage(other))
                        }
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
                            try sql.mark(message.id, nowMillis: nowMillis)
                            claimed.append(ClaimedMessage(
                                id: message.id, channel: channel, recipient: message.recipient, type: message.type, payload: body.payload ?? "",
                                history: AttemptHistory(counted: body.attempts, rateLimited: body.rateLimited), createdMillis: body.createdMillis))
                        }
                    }
                    if rows.count < page { break }
                }
            }
            return claimed
        }
    }

    /// The columns of `ClaimStatements.page` and `.earliest` (which share the first nine), read
    /// by position: by name, GRDB compares every column name case-insensitively per read (a
    /// `lowercased()` each), about a tenth of a claim's CPU in the aggregate dispatch profile.
    enum Col {
        static let id: Int32 = 0, recipient: Int32 = 1, type: Int32 = 2, payload: Int32 = 3, attempts: Int32 = 4, rateLimited: Int32 = 5
        static let createdAt: Int32 = 6, dueAt: Int32 = 7, expiresAt: Int32 = 8
        static let lastInboundAt: Int32 = 9, windowClosedAt: Int32 = 10, nextSendAt: Int32 = 11, unreachableAt: Int32 = 12, firstID: Int32 = 13, open: Int32 = 14
    }

    /// What a taken message needs besides what the planner judged (the `.earliest` row's).
    static func claimBody(_ row: Row) -> ClaimBody {
        ClaimBody(payload: row[Int(Col.payload)], attempts: row[Int(Col.attempts)], rateLimited: row[Int(Col.rateLimited)],
                  createdMillis: row[Int(Col.createdAt)])
    }

    static func claimMessage(_ row: Row) -> ClaimMessage {
        ClaimMessage(id: row[Int(Col.id)], recipient: row[Int(Col.recipient)], type: row[Int(Col.type)], expiresMillis: row[Int(Col.expiresAt)],
                     hasBody: !row.hasNull(atIndex: Int(Col.payload)))
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
