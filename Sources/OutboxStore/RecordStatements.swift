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
        try attempt.run { s in
            s.bind(1, r.message.id)
            s.bind(2, r.message.channel)
            s.bind(3, r.startedMillis)
            s.bind(4, r.result.outcome.rawValue)
            s.bind(5, failure?.httpStatus)
            s.bind(6, failure?.code)
            s.bind(7, failure?.title)
            s.bind(8, failure?.details)
            s.bind(9, r.latencyMillis)
            s.bind(10, failure?.traceID)
            s.bind(11, accepted.status)
            s.bind(12, accepted.waID)
        }
    }

    /// The message is `sent` with its wamid, unless a status webhook moved it on meanwhile.
    /// - Returns: whether it changed (and so logged its `sent` event).
    func markSent(_ m: ClaimedMessage, wamid: String, history h: AttemptHistory, nowMillis: Int64) throws -> Bool {
        let changed = try sent.run { s in
            s.bind(1, wamid)
            s.bind(2, nowMillis)
            s.bind(3, h.counted)
            s.bind(4, h.rateLimited)
            s.bind(5, m.id)
        }
        guard changed > 0 else { return false }
        try sentEvent.run { s in
            s.bind(1, nowMillis)
            s.bind(2, m.channel)
            s.bind(3, m.id)
            s.bind(4, wamid)
        }
        return true
    }

    /// No request to the recipient before `untilMillis` (a later hold stays). The same text
    /// as `SQLiteOutboxStore.hold`, so the same cached statement.
    func hold(channel: String, recipient: String, untilMillis: Int64) throws {
        try hold.run { s in
            s.bind(1, channel)
            s.bind(2, recipient)
            s.bind(3, untilMillis)
        }
    }
}
