import GRDB
import OutboxCore

/// A message taken from the queue for one request; its row is `sending` from the claim on.
public struct ClaimedMessage: Sendable, Equatable {
    public var id: Int64
    public var channel: String
    public var recipient: String
    public var type: String
    /// The stored `message` object (canonical JSON).
    public var payload: String
    public var history: AttemptHistory
    public var createdMillis: Int64
}

/// One finished request and what the policy decided, to be written to the audit trail.
public struct AttemptRecord: Sendable {
    public var message: ClaimedMessage
    public var startedMillis: Int64
    public var latencyMillis: Int64?
    public var result: SendResult
    public var decision: SendDecision
    /// A retry holds later messages to the same recipient until it is due.
    public var holdOnRetry: Bool
    /// Pair pacing: once the API took the message, the next request to this recipient waits
    /// this long after the answer (0: no pacing). The API measures arrivals; an answer comes
    /// after its request arrived, so pacing from the answer cannot be undercut by jitter.
    public var pairIntervalMillis: Int64

    public init(message: ClaimedMessage, startedMillis: Int64, latencyMillis: Int64?, result: SendResult, decision: SendDecision,
                holdOnRetry: Bool = true, pairIntervalMillis: Int64 = 0) {
        self.holdOnRetry = holdOnRetry
        self.pairIntervalMillis = pairIntervalMillis
        self.message = message
        self.startedMillis = startedMillis
        self.latencyMillis = latencyMillis
        self.result = result
        self.decision = decision
    }
}

extension OutboxStore {
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
            let spamHold = try Self.spamHold(db, channel: channel)
            // Counted lazily: a claim without business-initiated templates never reads it.
            var reachBudget: ReachBudget?
            // One statement per page gives each candidate with what the claim needs to judge it:
            // the recipient's state (holds, window), whether a request to them is still open
            // (slow answer, unknown outcome: the next one waits, so two requests to one
            // recipient never race), and the id of their earliest due message of this priority
            // (per-recipient order is submission order). A held recipient's lookups are skipped.
            let select = try db.cachedStatement(sql: """
                SELECT m.id, m.recipient, m.type, m.payload, m.attempts, m.rate_limited, m.created_at, m.due_at, m.expires_at,
                       r.last_inbound_at, r.window_closed_at, r.next_send_at, r.unreachable_at,
                       CASE WHEN r.next_send_at > ?3 THEN NULL ELSE
                         (SELECT e.id FROM messages e INDEXED BY messages_recipient
                          WHERE e.recipient = m.recipient AND e.channel = m.channel AND e.priority = m.priority
                            AND e.state = 'queued' AND e.due_at <= ?3
                          ORDER BY e.id LIMIT 1) END AS first_id,
                       CASE WHEN r.next_send_at > ?3 THEN 0 ELSE
                         EXISTS (SELECT 1 FROM messages s INDEXED BY messages_recipient
                                 WHERE s.recipient = m.recipient AND s.channel = m.channel AND s.state = 'sending') END AS open
                FROM messages m INDEXED BY messages_due
                LEFT JOIN recipients r ON r.channel = m.channel AND r.recipient = m.recipient
                WHERE m.state = 'queued' AND m.channel = ?1 AND m.priority = ?2 AND m.due_at <= ?3 AND (m.due_at, m.id) > (?4, ?5)
                ORDER BY m.due_at, m.id LIMIT ?6
                """)
            // Rare: the recipient's earliest due message is not this candidate (an earlier one
            // became due later, e.g. a retry, or one just expired in this claim): read it afresh.
            let earliest = try db.cachedStatement(sql: """
                SELECT id, recipient, type, payload, attempts, rate_limited, created_at, due_at, expires_at
                FROM messages INDEXED BY messages_recipient
                WHERE recipient = ? AND channel = ? AND priority = ? AND state = 'queued' AND due_at <= ?
                ORDER BY id LIMIT 1
                """)
            let mark = try db.cachedStatement(sql: "UPDATE messages SET state = 'sending', updated_at = ? WHERE id = ?")
            var claimed: [ClaimedMessage] = []
            var seen = Set<String>()
            // Bounds the rows one claim looks at, however many are held.
            var budget = max(2_000, limit * 20)
            for priority in Priority.allCases where claimed.count < limit && spamHold?.holds(priority, nowMillis: nowMillis) != true {
                var cursor: (Int64, Int64) = (Int64.min, 0)
                // Each page row carries its lookups, so pages start at what is needed and
                // grow fourfold only while held or repeated recipients are being skipped.
                var slack = 8
                while claimed.count < limit, budget > 0 {
                    let page = min(budget, limit - claimed.count + slack)
                    slack = min(slack * 4, 2_000)
                    let rows = try Row.fetchAll(select, arguments: [channel, priority.rank, nowMillis, cursor.0, cursor.1, page])
                    budget -= rows.count
                    for candidate in rows where claimed.count < limit {
                        cursor = (candidate["due_at"], candidate["id"])
                        let recipient: String = candidate["recipient"]
                        // One per recipient per claim: a held message holds the later ones too.
                        guard seen.insert(recipient).inserted else { continue }
                        let state = RecipientState(lastInboundMillis: candidate["last_inbound_at"], windowClosedMillis: candidate["window_closed_at"],
                                                   nextSendMillis: candidate["next_send_at"], unreachableMillis: candidate["unreachable_at"])
                        // A held recipient's lookups were skipped: no first id.
                        guard let firstID: Int64 = candidate["first_id"], !(candidate["open"] as Bool) else { continue }
                        let row: Row
                        if firstID == candidate["id"] {
                            row = candidate
                        } else if let other = try Row.fetchOne(earliest, arguments: [recipient, channel, priority.rank, nowMillis]) {
                            row = other
                        } else {
                            continue
                        }
                        let id: Int64 = row["id"]
                        if let expires: Int64 = row["expires_at"], expires <= nowMillis {
                            try Self.finish(db, id: id, state: .expired, reason: "expires_at passed before it could be sent", nowMillis: nowMillis)
                            seen.remove(recipient)
                            continue
                        }
                        guard let payload: String = row["payload"] else {
                            try Self.finish(db, id: id, state: .failed, reason: "its body was erased by retention before it was sent", nowMillis: nowMillis)
                            seen.remove(recipient)
                            continue
                        }
                        let type: String = row["type"]
                        switch rules.verdict(type: type, recipient: state, nowMillis: nowMillis) {
                        case .wait:
                            continue
                        case .windowClosed:
                            try Self.finish(db, id: id, state: .failed, reason: RecipientRules.windowClosedReason, nowMillis: nowMillis)
                            seen.remove(recipient)
                            continue
                        case .unreachable(let since):
                            try Self.finish(db, id: id, state: .failed, reason: rules.unreachableReason(sinceMillis: since), nowMillis: nowMillis)
                            seen.remove(recipient)
                            continue
                        case .send:
                            break
                        }
                        if let reach, MessagingLimit.counts(type: type, windowOpen: rules.enforceWindow && rules.windowOpen(state, nowMillis: nowMillis)) {
                            if reachBudget == nil { reachBudget = ReachBudget(limit: reach, used: try Self.reachUsed(db, portfolio: reach.portfolio, nowMillis: nowMillis, prune: true)) }
                            let reached = try Int64.fetchOne(db.cachedStatement(sql: "SELECT reached_at FROM reach WHERE portfolio = ? AND recipient = ?"),
                                                             arguments: [reach.portfolio, recipient])
                            switch reachBudget!.admit(reachedMillis: reached, nowMillis: nowMillis) {
                            case .alreadyReached: break
                            case .wait: continue  // holds this recipient's later messages too: order is kept
                            case .admit:
                                try db.cachedStatement(sql: """
                                    INSERT INTO reach (portfolio, recipient, reached_at) VALUES (?, ?, ?)
                                    ON CONFLICT(portfolio, recipient) DO UPDATE SET reached_at = excluded.reached_at
                                    """).execute(arguments: [reach.portfolio, recipient, nowMillis])
                            }
                        }
                        // No hold here: while the request is open the `sending` row keeps the recipient
                        // out of claims, and its answer sets the pair-pacing hold (see `record`).
                        try mark.execute(arguments: [nowMillis, id])
                        claimed.append(ClaimedMessage(
                            id: id, channel: channel, recipient: recipient, type: type, payload: payload,
                            history: AttemptHistory(counted: row["attempts"], rateLimited: row["rate_limited"]),
                            createdMillis: row["created_at"]))
                    }
                    if rows.count < page { break }
                }
            }
            return claimed
        }
    }

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

    /// Puts claimed messages that were never handed to the API back in the queue, as they were.
    public func release(_ ids: [Int64], nowMillis: Int64) async throws(StoreError) {
        guard !ids.isEmpty else { return }
        try await write { db in
            let stmt = try db.cachedStatement(sql: "UPDATE messages SET state = 'queued', updated_at = ? WHERE id = ? AND state = 'sending' AND awaiting_settlement = 0")
            for id in ids { try stmt.execute(arguments: [nowMillis, id]) }
        }
    }

    /// Writes a batch of finished attempts and applies each decision, in one transaction.
    public func record(_ records: [AttemptRecord], nowMillis: Int64) async throws(StoreError) {
        guard !records.isEmpty else { return }
        try await write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT INTO attempts (message_id, channel, at, outcome, http_status, error_code, error_title, error_details, latency_ms,
                                      fbtrace_id, message_status, wa_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for r in records {
                var failure: APIFailure?
                var meaning: ErrorMeaning?
                var accepted: (status: String?, waID: String?) = (nil, nil)
                switch r.result {
                case .failed(let f, let m, _): (failure, meaning) = (f, m)
                case .unknown(let detail): failure = APIFailure(httpStatus: nil, code: nil, title: "outcome unknown", details: detail)
                case .notReached(let detail): failure = APIFailure(httpStatus: nil, code: nil, title: "not sent", details: detail)
                case .accepted(_, let status, let waID): accepted = (status, waID)
                }
                try insert.execute(arguments: [
                    r.message.id, r.message.channel, r.startedMillis, r.result.outcome.rawValue,
                    failure?.httpStatus, failure?.code, failure?.title, failure?.details, r.latencyMillis,
                    failure?.traceID, accepted.status, accepted.waID,
                ])
                if let waID = accepted.waID {
                    try Self.recordAlias(db, channel: r.message.channel, recipient: r.message.recipient, alias: waID, nowMillis: nowMillis)
                }
                if let meaning {
                    // The same facts as a failed status; a channel block pauses through the decision.
                    _ = try Self.applyFacts(meaning, failure: failure, db: db, messageID: r.message.id, channel: r.message.channel,
                                            recipient: r.message.recipient, payload: r.message.payload, requestStartedMillis: r.startedMillis,
                                            at: nowMillis, nowMillis: nowMillis, byStatus: false)
                }
                try Self.apply(r.decision, to: r.message, result: r.result, failure: failure, pairLimit: meaning?.has(.pairLimit) == true,
                               holdOnRetry: r.holdOnRetry, db: db, nowMillis: nowMillis)
                if case .sent = r.decision, r.pairIntervalMillis > 0 {
                    try Self.hold(db, channel: r.message.channel, recipient: r.message.recipient,
                                  untilMillis: r.startedMillis + (r.latencyMillis ?? 0) + r.pairIntervalMillis)
                }
            }
        }
    }

    static func apply(_ decision: SendDecision, to m: ClaimedMessage, result: SendResult, failure: APIFailure?, pairLimit: Bool = false,
                      holdOnRetry: Bool, db: Database, nowMillis: Int64) throws {
        let h = m.history.adding(result)
        switch decision {
        case .sent(let wamid):
            try db.cachedStatement(sql: """
                UPDATE messages SET state = 'sent', wamid = ?, sent_at = ?, updated_at = ?, attempts = ?, rate_limited = ?,
                       awaiting_settlement = 0, last_error = NULL
                WHERE id = ? AND state = 'sending'
                """).execute(arguments: [wamid, nowMillis, nowMillis, h.counted, h.rateLimited, m.id])
            // A status webhook can have moved the message on while its answer was on the way.
            if db.changesCount > 0 { try logSent(db, channel: m.channel, messageID: m.id, wamid: wamid, at: nowMillis) }
        case .fail(let reason):
            try db.cachedStatement(sql: """
                UPDATE messages SET state = 'failed', last_error = ?, updated_at = ?, attempts = ?, rate_limited = ?, awaiting_settlement = 0
                WHERE id = ? AND state = 'sending'
                """).execute(arguments: [reason, nowMillis, h.counted, h.rateLimited, m.id])
            if db.changesCount > 0 { try logFailed(db, channel: m.channel, messageID: m.id, at: nowMillis, reason: reason, error: failure) }
        case .retry(let due):
            if holdOnRetry || pairLimit {
                try hold(db, channel: m.channel, recipient: m.recipient, untilMillis: due)
            }
            try db.cachedStatement(sql: """
                UPDATE messages SET state = 'queued', due_at = ?, last_error = ?, updated_at = ?, attempts = ?, rate_limited = ?, awaiting_settlement = 0
                WHERE id = ? AND state = 'sending'
                """).execute(arguments: [due, failure?.summary, nowMillis, h.counted, h.rateLimited, m.id])
        case .awaitSettlement(let until):
            try db.cachedStatement(sql: """
                UPDATE messages SET awaiting_settlement = 1, due_at = ?, last_error = ?, updated_at = ?, attempts = ?, rate_limited = ?
                WHERE id = ? AND state = 'sending'
                """).execute(arguments: [until, failure?.summary, nowMillis, h.counted, h.rateLimited, m.id])
            if db.changesCount > 0 {
                try logEvent(db, .unknownOutcome, channel: m.channel, messageID: m.id, at: nowMillis, data: [
                    "detail": failure?.details.map(JSONValue.string) ?? .null,
                    "settle_by": .string(RFC3339.format(millis: until)),
                ])
            }
        case .pauseChannel(let reason, let until):
            try db.cachedStatement(sql: """
                UPDATE messages SET state = 'queued', due_at = ?, last_error = ?, updated_at = ? WHERE id = ? AND state = 'sending'
                """).execute(arguments: [nowMillis, reason, nowMillis, m.id])
            try setPause(db, channel: m.channel, reason: reason, untilMillis: until, nowMillis: nowMillis)
        }
    }

    /// Ends a message without a request: expired, or failed by a local rule.
    static func finish(_ db: Database, id: Int64, state: MessageState, reason: String, nowMillis: Int64) throws {
        try db.cachedStatement(sql: "UPDATE messages SET state = ?, last_error = ?, updated_at = ?, awaiting_settlement = 0 WHERE id = ?")
            .execute(arguments: [state.rawValue, reason, nowMillis, id])
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO events (message_id, at, status, detail) VALUES (?, ?, ?, ?)")
            .execute(arguments: [id, nowMillis, state.rawValue, reason])
        switch state {
        case .failed: try logFailed(db, channel: nil, messageID: id, at: nowMillis, reason: reason, error: nil)
        case .expired, .cancelled: try logMessageEvent(db, state == .expired ? .expired : .cancelled, messageID: id, at: nowMillis, data: ["reason": .string(reason)])
        default: break
        }
    }

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

    /// Messages whose unknown outcome was not settled by a status in time: resent (back to
    /// the queue) or failed, per `[retry] unknown_outcome`. The timeline records which.
    @discardableResult
    public func settleOverdue(nowMillis: Int64, action: RetryPolicy.UnknownOutcomeAction, maxAttempts: Int) async throws(StoreError) -> Int {
        try await write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, attempts FROM messages WHERE state = 'sending' AND awaiting_settlement = 1 AND due_at <= ?
                """, arguments: [nowMillis])
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

    /// The earliest settlement deadline of an unknown outcome, or nil.
    public func nextSettlementDeadline() async throws(StoreError) -> Int64? {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT min(due_at) FROM messages WHERE state = 'sending' AND awaiting_settlement = 1")
        }
    }
}
