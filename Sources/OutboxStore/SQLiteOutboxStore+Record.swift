import GRDB
import OutboxCore

extension SQLiteOutboxStore {
    /// Puts claimed messages that were never handed to the API back in the queue, as they were.
    public func release(_ ids: [Int64], nowMillis: Int64) async throws(StoreError) {
        guard !ids.isEmpty else { return }
        try await combinedWrite { db in
            let stmt = try db.cachedStatement(sql: "UPDATE messages SET state = 'queued', updated_at = ? WHERE id = ? AND state = 'sending' AND awaiting_settlement = 0")
            for id in ids { try stmt.execute(arguments: [nowMillis, id]) }
        }
    }

    /// Writes a batch of finished attempts and applies each decision, all or nothing, in a
    /// transaction shared with the claims handed in meanwhile (`combinedWrite`).
    public func record(_ records: [AttemptRecord], nowMillis: Int64) async throws(StoreError) {
        guard !records.isEmpty else { return }
        let marketingHold = marketingHoldMillis
        let observer = eventObserver
        try await combinedWrite { db in
            let sql = try RecordStatements(db)
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
                try sql.insertAttempt(r, failure: failure, accepted: accepted)
                if let waID = accepted.waID, !Self.isNumber(waID, of: r.message.recipient) {
                    try Self.recordAlias(db, channel: r.message.channel, recipient: r.message.recipient, alias: waID, nowMillis: nowMillis)
                }
                if let meaning {
                    // The same facts as a failed status; a channel block pauses through the decision.
                    _ = try Self.applyFacts(meaning, failure: failure, db: db, messageID: r.message.id, channel: r.message.channel,
                                            recipient: r.message.recipient, payload: r.message.payload, requestStartedMillis: r.startedMillis,
                                            at: nowMillis, nowMillis: nowMillis, byStatus: false, marketingHoldMillis: marketingHold)
                }
                if case .sent(let wamid) = r.decision {
                    // The common case, through the C API (`RecordStatements`); its event is
                    // invisible to GRDB's observers, so the observer is told.
                    if try sql.markSent(r.message, wamid: wamid, history: r.message.history.adding(r.result), nowMillis: nowMillis) {
                        observer.noteChange()
                    }
                    if r.pairIntervalMillis > 0 {
                        try sql.hold(channel: r.message.channel, recipient: r.message.recipient,
                                     untilMillis: r.startedMillis + (r.latencyMillis ?? 0) + r.pairIntervalMillis)
                    }
                    continue
                }
                // A 132015: refused (not charged) because the template is paused; the message waits
                // with the template's others instead of failing (issue 15).
                var decision = r.decision
                let paused = meaning?.has(.templatePaused) == true ? try Self.template(ofPayload: r.message.payload, db: db) : nil
                if paused != nil, case .fail = decision { decision = .retry(dueMillis: nowMillis) }
                try Self.apply(decision, to: r.message, result: r.result, failure: failure, pairLimit: meaning?.has(.pairLimit) == true,
                               holdOnRetry: r.holdOnRetry && paused == nil, db: db, nowMillis: nowMillis)
                if let paused {
                    try Self.markTemplate(db, channel: r.message.channel, name: paused.name, language: paused.language, status: "PAUSED",
                                          reason: failure?.summary ?? "132015", nowMillis: nowMillis)
                }
            }
        }
    }

    /// Whether `waID` (a 2xx's `contacts[0].wa_id`) is just `recipient`'s number without its
    /// plus, as nearly every answer says: then there is no alias to record, and no parse.
    static func isNumber(_ waID: String, of recipient: String) -> Bool {
        let r = recipient.utf8
        return !waID.isEmpty && r.first == UInt8(ascii: "+") && r.dropFirst().elementsEqual(waID.utf8)
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
}
