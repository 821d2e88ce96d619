import GRDB
import OutboxCore

extension SQLiteOutboxStore {
    /// Applies one status to the message it is about, found by our callback data or by wamid.
    /// Statuses only move a message forward (sent < delivered < read); a duplicate changes
    /// nothing; every new status is kept in the timeline, with its pricing and conversation.
    /// A status for a message whose outcome was unknown settles it: the API took it, so it is
    /// not resent. A failed status is acted on by its meaning, like the same error in an
    /// answer (`applyFacts`): a channel block pauses the channel, a spam limit holds it, ...
    /// A message is counted per pricing category once, at its first priced status.
    /// - Returns: the message's channel when the status took it out of `queued` or `sending`
    ///   (a recipient's open request ended: that channel's worker may claim again), or when
    ///   its failure may have moved the queue.
    static func apply(_ s: StatusReport, db: Database, nowMillis: Int64, instanceID: String, effects: inout FailureEffects,
                      marketingHoldMillis: Int64 = MarketingPolicy.defaultHoldMillis) throws -> String? {
        var row: Row?
        if let cb = s.callbackData, let id = messageID(fromCallbackData: cb, instanceID: instanceID) {
            row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, channel, recipient, state, awaiting_settlement, payload, sent_at FROM messages WHERE id = ?"), arguments: [id])
        }
        if row == nil {
            row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, channel, recipient, state, awaiting_settlement, payload, sent_at FROM messages WHERE wamid = ?"), arguments: [s.wamid])
        }
        guard let row, let state = MessageState(rawValue: row["state"]) else { return nil }
        let id: Int64 = row["id"]
        let channel: String = row["channel"]
        let freed: String? = state == .queued || state == .sending ? channel : nil
        let at = s.timestampMillis ?? nowMillis
        let firstPricing = try s.pricing?.category != nil
            && Int.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM events WHERE message_id = ? AND pricing_category IS NOT NULL LIMIT 1"), arguments: [id]) == nil
        let insertEvent = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO events (message_id, at, status, detail, billable, pricing_model, pricing_type, pricing_category,
                                          conversation_id, conversation_origin, fbtrace_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        func insert(as status: String) throws -> Bool {
            try insertEvent.execute(arguments: [
                id, at, status, s.error?.summary, s.pricing?.billable, s.pricing?.model, s.pricing?.type, s.pricing?.category,
                s.conversation?.id, s.conversation?.originType, s.error?.traceID,
            ])
            return db.changesCount > 0
        }
        var inserted = try insert(as: s.status)
        if !inserted, s.status == "failed", try Int.fetchOne(db.cachedStatement(sql: """
            SELECT 1 FROM events WHERE message_id = ? AND status IN ('failed', ?) AND detail IS ? AND fbtrace_id IS ? LIMIT 1
            """), arguments: [id, Self.lateFailed, s.error?.summary, s.error?.traceID]) == nil {
            // A local failure (an unknown outcome not settled in time, an opt-out, ...) took the
            // timeline's one `failed` first, yet this failure Meta reports is new: its facts (a
            // paused template, a closed window) must still act. It is kept under its own name,
            // once per error (red-team finding 19).
            inserted = try insert(as: Self.lateFailed)
        }
        guard inserted else { return nil }  // a duplicate
        if let user = s.recipientUserID {
            // The customer's BSUID: a message they write by username opens this number's window too.
            try recordAlias(db, channel: channel, recipient: row["recipient"], alias: user, nowMillis: nowMillis)
        }
        if firstPricing, let category = s.pricing?.category {
            let billable = s.pricing?.billable ?? true
            try db.cachedStatement(sql: """
                INSERT INTO priced (channel, day, category, billable, messages) VALUES (?, ?, ?, ?, 1)
                ON CONFLICT(channel, day, category, billable) DO UPDATE SET messages = messages + 1
                """).execute(arguments: [channel, at / 86_400_000, category, billable])
            effects.priced.append(PricedMessage(channel: channel, category: category, billable: billable))
        }

        if let rank = StatusReport.rank(s.status) {
            let newState: MessageState = rank == 1 ? .sent : rank == 2 ? .delivered : .read
            switch state {
            case .queued, .sending:
                try db.cachedStatement(sql: """
                    UPDATE messages SET state = ?, wamid = coalesce(wamid, ?), sent_at = coalesce(sent_at, ?), awaiting_settlement = 0,
                           last_error = NULL, updated_at = ? WHERE id = ?
                    """).execute(arguments: [newState.rawValue, s.wamid, at, nowMillis, id])
                if (row["awaiting_settlement"] as Int) == 1 || state == .queued {
                    let detail = "the request's outcome was unknown; a '\(s.status)' status shows the API took it (\(s.wamid)), so it is not resent"
                    try db.cachedStatement(sql: "INSERT INTO events (message_id, at, status, detail) VALUES (?, ?, 'settled', ?)").execute(arguments: [
                        id, nowMillis, detail,
                    ])
                    try logEvent(db, .settled, channel: row["channel"], messageID: id, at: nowMillis,
                                 data: ["wamid": .string(s.wamid), "status": .string(s.status), "detail": .string(detail)])
                }
                // The API took it: a `sent`, then what the status says beyond that.
                try logSent(db, channel: row["channel"], messageID: id, wamid: s.wamid, at: nowMillis)
                if rank > 1 { try logStatus(db, s, rank: rank, channel: row["channel"], messageID: id, at: at, nowMillis: nowMillis) }
            case .sent, .delivered, .read, .failed:
                // Forward only; a delivered or read after a failed proves the failure wrong.
                let current = state == .failed ? 0 : (StatusReport.rank(state.rawValue) ?? 0)
                if rank > current {
                    try db.cachedStatement(sql: "UPDATE messages SET state = ?, wamid = coalesce(wamid, ?), updated_at = ? WHERE id = ?")
                        .execute(arguments: [newState.rawValue, s.wamid, nowMillis, id])
                }
                // Each receipt once (the timeline's unique index saw to that); a `sent` receipt adds nothing to the answer's.
                if rank > 1 { try logStatus(db, s, rank: rank, channel: row["channel"], messageID: id, at: at, nowMillis: nowMillis) }
            case .expired, .cancelled:
                break
            }
            return freed
        }
        guard s.status == "failed" else { return nil }
        if [.queued, .sending, .sent, .delivered].contains(state) {
            let reason = "failed status: " + (s.error?.summary ?? "no error given")
            try db.cachedStatement(sql: "UPDATE messages SET state = 'failed', last_error = ?, awaiting_settlement = 0, updated_at = ? WHERE id = ?")
                .execute(arguments: [reason, nowMillis, id])
            try logFailed(db, channel: row["channel"], messageID: id, at: nowMillis, reason: reason, error: s.error ?? APIFailure(httpStatus: nil, code: nil, title: nil, details: nil))
        }
        if let meaning = s.meaning {
            effects.merge(try applyFacts(meaning, failure: s.error, db: db, messageID: id, channel: channel, recipient: row["recipient"],
                                         payload: row["payload"], requestStartedMillis: row["sent_at"] ?? at, at: at, nowMillis: nowMillis, byStatus: true,
                                         marketingHoldMillis: marketingHoldMillis))
        }
        // A failure fact (closed window, paused template, a pause) can move the queue: wake the channel too.
        return channel
    }

    /// The timeline's name for a failed status that arrived after the message had failed here:
    /// not `failed` (the unique index keeps one per message, and endings count it once).
    public static let lateFailed = "failed_reported"

    /// A `delivered` or `read` receipt (`played` counts as read), with when the API says it happened.
    static func logStatus(_ db: Database, _ s: StatusReport, rank: Int, channel: String, messageID: Int64, at: Int64, nowMillis: Int64) throws {
        try logEvent(db, rank == 2 ? .delivered : .read, channel: channel, messageID: messageID, at: nowMillis,
                     data: ["wamid": .string(s.wamid), "status_at": .string(RFC3339.format(millis: at))])
    }

    static func messageID(fromCallbackData text: String, instanceID: String) -> Int64? {
        CallbackData.messageID(text, instanceID: instanceID)
    }
}
