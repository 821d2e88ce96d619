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

    public init(message: ClaimedMessage, startedMillis: Int64, latencyMillis: Int64?, result: SendResult, decision: SendDecision) {
        self.message = message
        self.startedMillis = startedMillis
        self.latencyMillis = latencyMillis
        self.result = result
        self.decision = decision
    }
}

extension OutboxStore {
    /// Takes up to `limit` due messages of `channel`, highest priority first and oldest due
    /// first within a priority, and marks them `sending` in the same transaction. Messages
    /// whose `expires_at` has passed become `expired` instead.
    public func claim(channel: String, nowMillis: Int64, limit: Int) async throws(StoreError) -> [ClaimedMessage] {
        guard limit > 0 else { return [] }
        return try await write { db in
            let select = try db.cachedStatement(sql: """
                SELECT id, recipient, type, payload, attempts, rate_limited, created_at, expires_at FROM messages
                WHERE state = 'queued' AND channel = ? AND priority = ? AND due_at <= ?
                ORDER BY due_at, id LIMIT ?
                """)
            let mark = try db.cachedStatement(sql: "UPDATE messages SET state = 'sending', updated_at = ? WHERE id = ?")
            var claimed: [ClaimedMessage] = []
            for priority in Priority.allCases where claimed.count < limit {
                let rows = try Row.fetchAll(select, arguments: [channel, priority.rank, nowMillis, limit - claimed.count])
                for row in rows {
                    let id: Int64 = row["id"]
                    if let expires: Int64 = row["expires_at"], expires <= nowMillis {
                        try Self.finish(db, id: id, state: .expired, reason: "expires_at passed before it could be sent", nowMillis: nowMillis)
                        continue
                    }
                    guard let payload: String = row["payload"] else {
                        try Self.finish(db, id: id, state: .failed, reason: "its body was erased by retention before it was sent", nowMillis: nowMillis)
                        continue
                    }
                    try mark.execute(arguments: [nowMillis, id])
                    claimed.append(ClaimedMessage(
                        id: id, channel: channel, recipient: row["recipient"], type: row["type"], payload: payload,
                        history: AttemptHistory(counted: row["attempts"], rateLimited: row["rate_limited"]),
                        createdMillis: row["created_at"]))
                }
            }
            return claimed
        }
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
                INSERT INTO attempts (message_id, channel, at, outcome, http_status, error_code, error_title, error_details, latency_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for r in records {
                var failure: APIFailure?
                if case .failed(let f, _, _) = r.result { failure = f }
                if case .unknown(let detail) = r.result { failure = APIFailure(httpStatus: nil, code: nil, title: "outcome unknown", details: detail) }
                try insert.execute(arguments: [
                    r.message.id, r.message.channel, r.startedMillis, r.result.outcome.rawValue,
                    failure?.httpStatus, failure?.code, failure?.title, failure?.details, r.latencyMillis,
                ])
                try Self.apply(r.decision, to: r.message, outcome: r.result.outcome, failure: failure, db: db, nowMillis: nowMillis)
            }
        }
    }

    static func apply(_ decision: SendDecision, to m: ClaimedMessage, outcome: AttemptOutcome, failure: APIFailure?, db: Database, nowMillis: Int64) throws {
        let h = m.history.adding(outcome)
        switch decision {
        case .sent(let wamid):
            try db.cachedStatement(sql: """
                UPDATE messages SET state = 'sent', wamid = ?, sent_at = ?, updated_at = ?, attempts = ?, rate_limited = ?,
                       awaiting_settlement = 0, last_error = NULL
                WHERE id = ? AND state = 'sending'
                """).execute(arguments: [wamid, nowMillis, nowMillis, h.counted, h.rateLimited, m.id])
        case .fail(let reason):
            try db.cachedStatement(sql: """
                UPDATE messages SET state = 'failed', last_error = ?, updated_at = ?, attempts = ?, rate_limited = ?, awaiting_settlement = 0
                WHERE id = ? AND state = 'sending'
                """).execute(arguments: [reason, nowMillis, h.counted, h.rateLimited, m.id])
        case .retry(let due):
            try db.cachedStatement(sql: """
                UPDATE messages SET state = 'queued', due_at = ?, last_error = ?, updated_at = ?, attempts = ?, rate_limited = ?, awaiting_settlement = 0
                WHERE id = ? AND state = 'sending'
                """).execute(arguments: [due, failure?.summary, nowMillis, h.counted, h.rateLimited, m.id])
        case .awaitSettlement(let until):
            try db.cachedStatement(sql: """
                UPDATE messages SET awaiting_settlement = 1, due_at = ?, last_error = ?, updated_at = ?, attempts = ?, rate_limited = ?
                WHERE id = ? AND state = 'sending'
                """).execute(arguments: [until, failure?.summary, nowMillis, h.counted, h.rateLimited, m.id])
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
    public func nextDue(channel: String) async throws(StoreError) -> Int64? {
        try await read { db in
            var best: Int64?
            for p in Priority.allCases {
                if let due = try Int64.fetchOne(db, sql: """
                    SELECT due_at FROM messages WHERE state = 'queued' AND channel = ? AND priority = ? ORDER BY due_at LIMIT 1
                    """, arguments: [channel, p.rank]) {
                    best = min(best ?? due, due)
                }
            }
            return best
        }
    }

    /// The earliest settlement deadline of an unknown outcome, or nil.
    public func nextSettlementDeadline() async throws(StoreError) -> Int64? {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT min(due_at) FROM messages WHERE state = 'sending' AND awaiting_settlement = 1")
        }
    }
}
