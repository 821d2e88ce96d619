import Foundation
import OutboxCore
import OutboxStore
import PostgresNIO

extension PostgresOutboxStore {
    /// Puts claimed messages that were never handed to the API back in the queue, as they were.
    public func release(_ ids: [Int64], nowMillis: Int64) async throws(StoreError) {
        guard !ids.isEmpty else { return }
        try await write { conn in
            try await conn.exec("""
                UPDATE messages SET state = 'queued', updated_at = \(nowMillis) WHERE id = ANY(\(ids)) AND state = 'sending' AND NOT awaiting_settlement
                """, logger: self.logger)
        }
    }

    /// Puts claimed messages back in the queue, fenced: only rows still carrying `token` (after a
    /// takeover they are the new owner's unknown outcomes, or claimed again).
    public func release(_ ids: [Int64], nowMillis: Int64, token: Int64) async throws(StoreError) {
        guard !ids.isEmpty else { return }
        try await write { conn in
            try await conn.exec("""
                UPDATE messages SET state = 'queued', updated_at = \(nowMillis)
                WHERE id = ANY(\(ids)) AND state = 'sending' AND NOT awaiting_settlement AND claim_token = \(token)
                """, logger: self.logger)
        }
    }

    /// Writes a batch of finished attempts and applies each decision, in one transaction.
    /// The common case (the API took the message, no alias, no error facts) is written for the
    /// whole batch in four statements (`recordSent`); the rest one by one, in order.
    public func record(_ records: [AttemptRecord], nowMillis: Int64) async throws(StoreError) {
        guard !records.isEmpty else { return }
        try await write { conn in
            var sent: [AttemptRecord] = []
            for r in records {
                if case .accepted(let wamid, _, let waID) = r.result, case .sent(let decided) = r.decision, decided == wamid,
                   waID.map({ Self.alias($0) == nil || Self.alias($0) == r.message.recipient }) ?? true {
                    sent.append(r)
                    continue
                }
                var failure: APIFailure?
                var meaning: ErrorMeaning?
                var accepted: (status: String?, waID: String?) = (nil, nil)
                switch r.result {
                case .failed(let f, let m, _): (failure, meaning) = (f, m)
                case .unknown(let detail): failure = APIFailure(httpStatus: nil, code: nil, title: "outcome unknown", details: detail)
                case .notReached(let detail): failure = APIFailure(httpStatus: nil, code: nil, title: "not sent", details: detail)
                case .accepted(_, let status, let waID): accepted = (status, waID)
                }
                try await conn.exec("""
                    INSERT INTO attempts (message_id, channel, at, outcome, http_status, error_code, error_title, error_details, latency_ms,
                                          fbtrace_id, message_status, wa_id, claim_token)
                    VALUES (\(r.message.id), \(r.message.channel), \(r.startedMillis), \(r.result.outcome.rawValue), \(failure?.httpStatus), \(failure?.code),
                            \(failure?.title), \(failure?.details), \(r.latencyMillis), \(failure?.traceID), \(accepted.status), \(accepted.waID),
                            \(r.message.claimToken))
                    """, logger: self.logger)
                if let waID = accepted.waID {
                    try await self.recordAlias(conn, channel: r.message.channel, recipient: r.message.recipient, alias: waID, nowMillis: nowMillis)
                }
                if let meaning {
                    _ = try await self.applyFacts(meaning, failure: failure, conn: conn, messageID: r.message.id, channel: r.message.channel,
                                                  recipient: r.message.recipient, payload: r.message.payload, requestStartedMillis: r.startedMillis,
                                                  at: nowMillis, nowMillis: nowMillis, byStatus: false)
                }
                // A 132015: refused (not charged) because the template is paused; the message waits
                // with the template's others instead of failing, as on SQLite.
                var decision = r.decision
                let paused = meaning?.has(.templatePaused) == true ? Self.template(ofPayload: r.message.payload) : nil
                if paused != nil, case .fail = decision { decision = .retry(dueMillis: nowMillis) }
                try await self.apply(decision, to: r.message, result: r.result, failure: failure, pairLimit: meaning?.has(.pairLimit) == true,
                                     holdOnRetry: r.holdOnRetry && paused == nil, conn: conn, nowMillis: nowMillis)
                if let paused {
                    try await self.markTemplate(conn, channel: r.message.channel, name: paused.name, language: paused.language, status: "PAUSED",
                                                reason: failure?.summary ?? "132015", nowMillis: nowMillis)
                }
                if case .sent = r.decision, r.pairIntervalMillis > 0 {
                    try await self.hold(conn, channel: r.message.channel, recipient: r.message.recipient,
                                        untilMillis: r.startedMillis + (r.latencyMillis ?? 0) + r.pairIntervalMillis)
                }
            }
            if !sent.isEmpty { try await self.recordSent(sent, conn: conn, nowMillis: nowMillis) }
        }
    }

    /// Requests the API took, as one batch: their attempts, `sent` (only rows still `sending`:
    /// a status webhook may have moved one on meanwhile), the events, and the pair-pacing holds.
    func recordSent(_ records: [AttemptRecord], conn: PostgresConnection, nowMillis: Int64) async throws {
        let rows: [SentRow] = records.map { r in
            guard case .accepted(let wamid, let status, let waID) = r.result else { preconditionFailure("recordSent takes accepted requests only") }
            let h = r.message.history.adding(r.result)
            return SentRow(id: r.message.id, channel: r.message.channel, recipient: r.message.recipient, at: r.startedMillis, latency: r.latencyMillis,
                           status: status, waID: waID, wamid: wamid, counted: h.counted, rateLimited: h.rateLimited,
                           hold: r.pairIntervalMillis > 0 ? r.startedMillis + (r.latencyMillis ?? 0) + r.pairIntervalMillis : nil,
                           token: r.message.claimToken)
        }
        let json = String(decoding: try JSONEncoder().encode(rows), as: UTF8.self)
        let columns = "id bigint, channel text, recipient text, at bigint, latency bigint, status text, wa_id text, wamid text, counted integer, rate_limited integer, hold bigint, token bigint"
        try await conn.exec(PostgresQuery(unsafeSQL: """
            INSERT INTO attempts (message_id, channel, at, outcome, latency_ms, message_status, wa_id, claim_token)
            SELECT r.id, r.channel, r.at, 'accepted', r.latency, r.status, r.wa_id, r.token FROM json_to_recordset($1::json) AS r(\(columns)) ORDER BY r.id
            """, binds: Self.binds(json)), logger: logger)
        let changed = try await conn.rows(PostgresQuery(unsafeSQL: """
            UPDATE messages m SET state = 'sent', wamid = r.wamid, sent_at = $2, updated_at = $2, attempts = r.counted, rate_limited = r.rate_limited,
                   awaiting_settlement = false, last_error = NULL
            FROM json_to_recordset($1::json) AS r(\(columns))
            WHERE m.id = r.id AND m.state = 'sending' AND m.claim_token IS NOT DISTINCT FROM r.token
            RETURNING m.id
            """, binds: Self.binds(json, nowMillis)), logger: logger).map { try $0.get("id", as: Int64.self) }
        if !changed.isEmpty {
            try await conn.exec(PostgresQuery(unsafeSQL: """
                INSERT INTO event_pending (at, type, channel, message_id, data)
                SELECT $2, 'sent', r.channel, r.id, json_build_object('wamid', r.wamid)::text
                FROM json_to_recordset($1::json) AS r(\(columns)) WHERE r.id = ANY($3) ORDER BY r.id
                """, binds: Self.binds(json, nowMillis, changed)), logger: logger)
            notePendingEvents()
        }
        // One hold per recipient (a later one wins), as `hold` does row by row.
        var holds: [String: SentRow] = [:]
        for row in rows where row.hold != nil {
            let key = row.channel + "\u{0}" + row.recipient
            if (holds[key]?.hold ?? .min) < row.hold! { holds[key] = row }
        }
        if !holds.isEmpty {
            let holdJSON = String(decoding: try JSONEncoder().encode(Array(holds.values)), as: UTF8.self)
            try await conn.exec(PostgresQuery(unsafeSQL: """
                INSERT INTO recipients (channel, recipient, next_send_at)
                SELECT r.channel, r.recipient, r.hold FROM json_to_recordset($1::json) AS r(\(columns))
                ON CONFLICT (channel, recipient) DO UPDATE SET next_send_at = greatest(coalesce(recipients.next_send_at, 0), excluded.next_send_at)
                """, binds: Self.binds(holdJSON)), logger: logger)
        }
    }

    /// The recipient a wa_id names ('+' and its digits, or a BSUID), as `recordAlias` reads it; nil when it names none.
    static func alias(_ raw: String) -> String? {
        if let bsuid = try? Recipient(bsuid: raw) { return bsuid.e164 }
        return (try? Recipient(parsing: raw))?.e164
    }

    func apply(_ decision: SendDecision, to m: ClaimedMessage, result: SendResult, failure: APIFailure?, pairLimit: Bool,
               holdOnRetry: Bool, conn: PostgresConnection, nowMillis: Int64) async throws {
        let h = m.history.adding(result)
        switch decision {
        case .sent(let wamid):
            let changed = try await conn.rows("""
                UPDATE messages SET state = 'sent', wamid = \(wamid), sent_at = \(nowMillis), updated_at = \(nowMillis), attempts = \(h.counted),
                       rate_limited = \(h.rateLimited), awaiting_settlement = false, last_error = NULL
                WHERE id = \(m.id) AND state = 'sending' AND claim_token IS NOT DISTINCT FROM \(m.claimToken) RETURNING id
                """, logger: logger)
            // A status webhook can have moved the message on while its answer was on the way.
            if !changed.isEmpty {
                try await logEvent(conn, .sent, channel: m.channel, messageID: m.id, at: nowMillis, data: ["wamid": .string(wamid)])
            }
        case .fail(let reason):
            let changed = try await conn.rows("""
                UPDATE messages SET state = 'failed', last_error = \(reason), updated_at = \(nowMillis), attempts = \(h.counted), rate_limited = \(h.rateLimited),
                       awaiting_settlement = false
                WHERE id = \(m.id) AND state = 'sending' AND claim_token IS NOT DISTINCT FROM \(m.claimToken) RETURNING id
                """, logger: logger)
            if !changed.isEmpty { try await logFailed(conn, channel: m.channel, messageID: m.id, at: nowMillis, reason: reason, error: failure) }
        case .retry(let due):
            if holdOnRetry || pairLimit { try await hold(conn, channel: m.channel, recipient: m.recipient, untilMillis: due) }
            try await conn.exec("""
                UPDATE messages SET state = 'queued', due_at = \(due), last_error = \(failure?.summary), updated_at = \(nowMillis), attempts = \(h.counted),
                       rate_limited = \(h.rateLimited), awaiting_settlement = false
                WHERE id = \(m.id) AND state = 'sending' AND claim_token IS NOT DISTINCT FROM \(m.claimToken)
                """, logger: logger)
        case .awaitSettlement(let until):
            let changed = try await conn.rows("""
                UPDATE messages SET awaiting_settlement = true, due_at = \(until), last_error = \(failure?.summary), updated_at = \(nowMillis),
                       attempts = \(h.counted), rate_limited = \(h.rateLimited)
                WHERE id = \(m.id) AND state = 'sending' AND claim_token IS NOT DISTINCT FROM \(m.claimToken) RETURNING id
                """, logger: logger)
            if !changed.isEmpty {
                try await logEvent(conn, .unknownOutcome, channel: m.channel, messageID: m.id, at: nowMillis, data: [
                    "detail": failure?.details.map(JSONValue.string) ?? .null,
                    "settle_by": .string(RFC3339.format(millis: until)),
                ])
            }
        case .pauseChannel(let reason, let until):
            try await conn.exec("""
                UPDATE messages SET state = 'queued', due_at = \(nowMillis), last_error = \(reason), updated_at = \(nowMillis) WHERE id = \(m.id) AND state = 'sending' AND claim_token IS NOT DISTINCT FROM \(m.claimToken)
                """, logger: logger)
            try await setPause(conn, channel: m.channel, reason: reason, untilMillis: until, nowMillis: nowMillis)
        }
    }

    /// No request to this recipient before `untilMillis` (a later hold wins).
    func hold(_ conn: PostgresConnection, channel: String, recipient: String, untilMillis: Int64) async throws {
        try await conn.exec("""
            INSERT INTO recipients (channel, recipient, next_send_at) VALUES (\(channel), \(recipient), \(untilMillis))
            ON CONFLICT (channel, recipient) DO UPDATE SET next_send_at = greatest(coalesce(recipients.next_send_at, 0), excluded.next_send_at)
            """, logger: logger)
    }

    func recordAlias(_ conn: PostgresConnection, channel: String, recipient: String, alias raw: String, nowMillis: Int64) async throws {
        guard let alias = Self.alias(raw), alias != recipient else { return }
        try await conn.exec("""
            INSERT INTO recipient_aliases (channel, alias, recipient, at) VALUES (\(channel), \(alias), \(recipient), \(nowMillis)) ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    /// The facts an error carries about the recipient and the channel, as SQLite's `applyFacts`.
    func applyFacts(_ meaning: ErrorMeaning, failure: APIFailure?, conn: PostgresConnection, messageID: Int64, channel: String, recipient: String,
                    payload: String?, requestStartedMillis: Int64, at: Int64, nowMillis: Int64, byStatus: Bool) async throws -> FailureEffects {
        var effects = FailureEffects()
        let summary = failure?.summary ?? "no error given"
        for fact in meaning.facts {
            switch fact {
            case .windowClosed:
                try await conn.exec("""
                    INSERT INTO recipients (channel, recipient, window_closed_at) VALUES (\(channel), \(recipient), \(at))
                    ON CONFLICT (channel, recipient) DO UPDATE SET window_closed_at = excluded.window_closed_at
                    """, logger: logger)
            case .recipientUnreachable:
                try await conn.exec("""
                    INSERT INTO recipients (channel, recipient, unreachable_at) VALUES (\(channel), \(recipient), \(at))
                    ON CONFLICT (channel, recipient) DO UPDATE SET unreachable_at = excluded.unreachable_at
                    """, logger: logger)
            case .templatePaused, .templateDisabled:
                // A paused template's queued messages wait, a disabled one's fail (+TemplateHolds).
                guard let t = Self.template(ofPayload: payload) else { continue }
                try await markTemplate(conn, channel: channel, name: t.name, language: t.language, status: fact == .templatePaused ? "PAUSED" : "DISABLED",
                                       reason: summary, nowMillis: nowMillis)
            case .optedOut:
                try await optOut(conn, channel: channel, recipient: recipient, source: "131050", detail: summary, nowMillis: nowMillis)
            case .marketingLimit:
                try await holdMarketing(conn, channel: channel, recipient: recipient, untilMillis: TimeMath.add(at, marketingHold.load(ordering: .relaxed)),
                                        nowMillis: nowMillis)
            case .throughput:
                effects.throttled.insert(channel)
            case .spamRestriction:
                effects.throttled.insert(channel)
                let previous = try await spamHold(conn, channel: channel)
                if let hold = SpamHold.after(previous, requestStartedMillis: requestStartedMillis, nowMillis: nowMillis) {
                    try await conn.exec("""
                        INSERT INTO channel_state (channel, spam_level, spam_since, spam_until) VALUES (\(channel), \(hold.level), \(hold.sinceMillis), \(hold.untilMillis))
                        ON CONFLICT (channel) DO UPDATE SET spam_level = excluded.spam_level, spam_since = excluded.spam_since, spam_until = excluded.spam_until
                        """, logger: logger)
                    effects.spamHolds[channel] = hold
                }
            case .channelBlocked(let after) where byStatus:
                let pause = ChannelPause(reason: "\(summary) (reported by a failed status of message \(messageID))", sinceMillis: nowMillis,
                                         untilMillis: after.map { TimeMath.add(nowMillis, $0) })
                try await setPause(conn, channel: channel, reason: pause.reason, untilMillis: pause.untilMillis, nowMillis: nowMillis)
                effects.pauses[channel] = pause
            case .channelBlocked, .pairLimit, .configurationProblem:
                break
            }
        }
        return effects
    }
}

/// One accepted request as `recordSent` reads it (`json_to_recordset`).
private struct SentRow: Encodable {
    var id: Int64
    var channel: String
    var recipient: String
    var at: Int64
    var latency: Int64?
    var status: String?
    var waID: String?
    var wamid: String
    var counted: Int
    var rateLimited: Int
    var hold: Int64?
    var token: Int64?

    enum CodingKeys: String, CodingKey {
        case id, channel, recipient, at, latency, status, wamid, counted, hold, token
        case waID = "wa_id"
        case rateLimited = "rate_limited"
    }
}
