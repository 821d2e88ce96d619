import GRDB
import OutboxCore

/// The statements every recorded answer runs, through SQLite's C API (`RawStatement`): the
/// attempt, and for an accepted request the message's `sent`, its event and the recipient's
/// pair-pacing hold. The rarer outcomes go through GRDB (`SQLiteOutboxStore.apply`).
struct RecordStatements {
    let attempt: RawStatement
    let sent: RawStatement
    let sentEvent: RawStatement
    let hold: RawStatement

    init(_ db: Database) throws {
        attempt = try RawStatement(db, sql: """
            INSERT INTO attempts (message_id, channel, at, outcome, http_status, error_code, error_title, error_details, latency_ms,
                                  fbtrace_id, message_status, wa_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        sent = try RawStatement(db, sql: """
            UPDATE messages SET state = 'sent', wamid = ?1, sent_at = ?2, updated_at = ?2, attempts = ?3, rate_limited = ?4,
                   awaiting_settlement = 0, last_error = NULL
            WHERE id = ?5 AND state = 'sending'
            """)
        sentEvent = try RawStatement(db, sql: """
            INSERT INTO event_log (at, type, channel, message_id, data) VALUES (?, 'sent', ?, ?, json_object('wamid', ?))
            """)
        hold = try RawStatement(db, sql: """
            INSERT INTO recipients (channel, recipient, next_send_at) VALUES (?, ?, ?)
            ON CONFLICT(channel, recipient) DO UPDATE SET next_send_at = max(coalesce(next_send_at, 0), excluded.next_send_at)
            """)
    }

    /// The audit row of one attempt.
    func insertAttempt(_ r: AttemptRecord, failure: APIFailure?, accepted: (status: String?, waID: String?)) throws {
        attempt.bind(1, r.message.id)
        attempt.bind(2, r.message.channel)
        attempt.bind(3, r.startedMillis)
        attempt.bind(4, r.result.outcome.rawValue)
        attempt.bind(5, failure?.httpStatus)
        attempt.bind(6, failure?.code)
        attempt.bind(7, failure?.title)
        attempt.bind(8, failure?.details)
        attempt.bind(9, r.latencyMillis)
        attempt.bind(10, failure?.traceID)
        attempt.bind(11, accepted.status)
        attempt.bind(12, accepted.waID)
        try attempt.run()
    }

    /// The message is `sent` with its wamid, unless a status webhook moved it on meanwhile.
    /// - Returns: whether it changed (and so logged its `sent` event).
    func markSent(_ m: ClaimedMessage, wamid: String, history h: AttemptHistory, nowMillis: Int64) throws -> Bool {
        sent.bind(1, wamid)
        sent.bind(2, nowMillis)
        sent.bind(3, h.counted)
        sent.bind(4, h.rateLimited)
        sent.bind(5, m.id)
        guard try sent.run() > 0 else { return false }
        sentEvent.bind(1, nowMillis)
        sentEvent.bind(2, m.channel)
        sentEvent.bind(3, m.id)
        sentEvent.bind(4, wamid)
        try sentEvent.run()
        return true
    }

    /// No request to the recipient before `untilMillis` (a later hold stays).
    func hold(channel: String, recipient: String, untilMillis: Int64) throws {
        hold.bind(1, channel)
        hold.bind(2, recipient)
        hold.bind(3, untilMillis)
        try hold.run()
    }
}
