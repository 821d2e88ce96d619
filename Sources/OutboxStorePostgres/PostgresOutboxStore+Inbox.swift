import OutboxCore
import OutboxStore
import PostgresNIO

extension PostgresOutboxStore {
    /// Stores payloads durably (one commit for the batch); returns their ids.
    public func storeInbox(_ items: [InboxItem], nowMillis: Int64) async throws(StoreError) -> [Int64] {
        try await write { conn in
            var ids: [Int64] = []
            for item in items {
                let id = try await conn.value("""
                    INSERT INTO inbox (channel, source, received_at, body) VALUES (\(item.channel), \(item.source), \(nowMillis), \(ByteBuffer(bytes: item.body)))
                    RETURNING id
                    """, as: Int64.self, logger: self.logger)
                guard let id else { throw StoreError.failed("inbox insert returned no id") }
                ids.append(id)
            }
            return ids
        }
    }

    /// Payloads not processed yet, oldest first, up to `limit` and `maxBytes` (always the oldest).
    public func pendingInbox(limit: Int, maxBytes: Int) async throws(StoreError) -> [PendingInbox] {
        try await read { conn in
            var total = 0
            var last: Int64?
            for r in try await conn.rows("SELECT id, octet_length(body) AS n FROM inbox WHERE processed_at IS NULL ORDER BY id LIMIT \(limit)", logger: self.logger) {
                let n = try r.get("n", as: Int.self)
                if last != nil, total > maxBytes - n { break }
                total += n
                last = try r.get("id", as: Int64.self)
            }
            guard let last else { return [] }
            return try await conn.rows("SELECT id, channel, body FROM inbox WHERE processed_at IS NULL AND id <= \(last) ORDER BY id", logger: self.logger)
                .map { try Self.pending($0) }
        }
    }

    public func pendingInbox(ids: [Int64]) async throws(StoreError) -> [PendingInbox] {
        guard !ids.isEmpty else { return [] }
        return try await read { conn in
            try await conn.rows("SELECT id, channel, body FROM inbox WHERE id = ANY(\(ids)) AND processed_at IS NULL ORDER BY id", logger: self.logger)
                .map { try Self.pending($0) }
        }
    }

    static func pending(_ r: PostgresRandomAccessRow) throws -> PendingInbox {
        var body = try r.get("body", as: ByteBuffer.self)
        return PendingInbox(id: try r.get("id"), channel: try r.get("channel"), body: body.readBytes(length: body.readableBytes) ?? [])
    }

    /// Applies processed payloads and marks them processed, in one transaction; a payload
    /// another path (or another daemon) processed first is skipped, so each is applied once.
    @discardableResult
    public func applyInbox(_ processed: [ProcessedInbox], nowMillis: Int64) async throws(StoreError) -> InboxEffects {
        try await write { conn in
            var effects = InboxEffects()
            for p in processed {
                // The row lock makes two daemons applying the same payload take turns; the second sees it processed.
                if let row = try await conn.rows("SELECT processed_at FROM inbox WHERE id = \(p.id) FOR UPDATE", logger: self.logger).first,
                   try row.get("processed_at", as: Int64?.self) != nil { continue }
                for s in p.statuses {
                    if let channel = try await self.apply(s, conn: conn, nowMillis: nowMillis, effects: &effects.failures) { effects.moved.insert(channel) }
                }
                for i in p.inbound {
                    try await self.apply(i, conn: conn)
                    try await self.logInbound(i, conn: conn, nowMillis: nowMillis)
                    effects.moved.insert(i.channel)
                }
                for t in p.templates where try await self.applyTemplateStatus(conn, t, nowMillis: nowMillis) {
                    effects.moved.insert(t.channel)
                }
                if !p.templates.isEmpty { effects.catalogChanged.formUnion(p.templates.map(\.channel)) }
                for pref in p.preferences {
                    if pref.stop {
                        try await self.optOut(conn, channel: pref.channel, recipient: pref.recipient, source: pref.source, detail: pref.detail, nowMillis: nowMillis)
                    } else {
                        try await self.optIn(conn, channel: pref.channel, recipient: pref.recipient, source: pref.source, nowMillis: nowMillis)
                    }
                }
                if p.isLastPart {
                    try await conn.exec("UPDATE inbox SET processed_at = \(nowMillis), error = \(p.error) WHERE id = \(p.id)", logger: self.logger)
                }
            }
            return effects
        }
    }

    func logInbound(_ i: InboundReport, conn: PostgresConnection, nowMillis: Int64) async throws {
        guard i.message != nil || i.wamid != nil else { return }
        let data: [String: JSONValue] = [
            "from": .string(i.recipient), "wamid": i.wamid.map(JSONValue.string) ?? .null, "message_type": i.type.map(JSONValue.string) ?? .null,
            "text": i.text.map(JSONValue.string) ?? .null, "message": i.message ?? .null,
            "reply_to_wamid": i.contextWamid.map(JSONValue.string) ?? .null,
            "sent_at": .string(RFC3339.format(millis: i.timestampMillis)),
        ]
        try await conn.exec("""
            INSERT INTO event_pending (at, type, channel, message_id, data)
            VALUES (\(nowMillis), 'inbound', \(i.channel), (SELECT id FROM messages WHERE wamid = \(i.contextWamid) LIMIT 1), \(JSONValue.object(data).canonicalText))
            """, logger: logger)
        notePendingEvents()
    }

    /// A customer wrote: their window opens, and that of every number they are an alias of.
    func apply(_ i: InboundReport, conn: PostgresConnection) async throws {
        var recipients = [i.recipient]
        recipients += try await conn.rows("SELECT recipient FROM recipient_aliases WHERE channel = \(i.channel) AND alias = \(i.recipient)", logger: logger)
            .map { try $0.get("recipient", as: String.self) }
        for r in recipients {
            try await conn.exec("""
                INSERT INTO recipients (channel, recipient, last_inbound_at) VALUES (\(i.channel), \(r), \(i.timestampMillis))
                ON CONFLICT (channel, recipient) DO UPDATE SET last_inbound_at = CASE
                    WHEN recipients.last_inbound_at > excluded.last_inbound_at + 2592000000 THEN excluded.last_inbound_at
                    ELSE greatest(coalesce(recipients.last_inbound_at, 0), excluded.last_inbound_at) END
                """, logger: logger)
        }
    }

    /// Applies one status, as SQLite's `apply(_:db:...)` does (forward only, once, settling unknown outcomes).
    func apply(_ s: StatusReport, conn: PostgresConnection, nowMillis: Int64, effects: inout FailureEffects) async throws -> String? {
        var row: PostgresRandomAccessRow?
        if let cb = s.callbackData, let id = messageID(fromCallbackData: cb) {
            row = try await conn.rows("SELECT id, channel, recipient, state, awaiting_settlement, payload, sent_at FROM messages WHERE id = \(id) FOR UPDATE",
                                      logger: logger).first
        }
        if row == nil {
            row = try await conn.rows("SELECT id, channel, recipient, state, awaiting_settlement, payload, sent_at FROM messages WHERE wamid = \(s.wamid) LIMIT 1 FOR UPDATE",
                                      logger: logger).first
        }
        guard let row, let state = MessageState(rawValue: try row.get("state")) else { return nil }
        let id: Int64 = try row.get("id")
        let channel: String = try row.get("channel")
        let recipient: String = try row.get("recipient")
        let freed: String? = state == .queued || state == .sending ? channel : nil
        let at = s.timestampMillis ?? nowMillis
        var firstPricing = false
        if s.pricing?.category != nil {
            firstPricing = try await conn.rows("SELECT 1 FROM events WHERE message_id = \(id) AND pricing_category IS NOT NULL LIMIT 1", logger: logger).isEmpty
        }
        let billableFlag: Int? = s.pricing?.billable.map { $0 ? 1 : 0 }
        func insert(as status: String) async throws -> Bool {
            !(try await conn.rows("""
                INSERT INTO events (message_id, at, status, detail, billable, pricing_model, pricing_type, pricing_category, conversation_id, conversation_origin, fbtrace_id)
                VALUES (\(id), \(at), \(status), \(s.error?.summary), \(billableFlag), \(s.pricing?.model), \(s.pricing?.type), \(s.pricing?.category),
                        \(s.conversation?.id), \(s.conversation?.originType), \(s.error?.traceID))
                ON CONFLICT DO NOTHING RETURNING id
                """, logger: logger).isEmpty)
        }
        var inserted = try await insert(as: s.status)
        if !inserted, s.status == "failed", try await conn.rows("""
            SELECT 1 FROM events WHERE message_id = \(id) AND status IN ('failed', \(SQLiteOutboxStore.lateFailed))
              AND detail IS NOT DISTINCT FROM \(s.error?.summary) AND fbtrace_id IS NOT DISTINCT FROM \(s.error?.traceID) LIMIT 1
            """, logger: logger).isEmpty {
            // A local failure took the timeline's one `failed` first; this failure Meta reports is
            // new and its facts must still act, as on SQLite (red-team finding 19). The message
            // row lock above makes two deliveries of it take turns, so it is kept once.
            inserted = try await insert(as: SQLiteOutboxStore.lateFailed)
        }
        guard inserted else { return nil }  // a duplicate
        if let user = s.recipientUserID { try await recordAlias(conn, channel: channel, recipient: recipient, alias: user, nowMillis: nowMillis) }
        if firstPricing, let category = s.pricing?.category {
            let billable = s.pricing?.billable ?? true
            try await conn.exec("""
                INSERT INTO priced (channel, day, category, billable, messages) VALUES (\(channel), \(at / 86_400_000), \(category), \(billable ? 1 : 0), 1)
                ON CONFLICT (channel, day, category, billable) DO UPDATE SET messages = priced.messages + 1
                """, logger: logger)
            effects.priced.append(PricedMessage(channel: channel, category: category, billable: billable))
        }
        if let rank = StatusReport.rank(s.status) {
            let newState: MessageState = rank == 1 ? .sent : rank == 2 ? .delivered : .read
            switch state {
            case .queued, .sending:
                try await conn.exec("""
                    UPDATE messages SET state = \(newState.rawValue), wamid = coalesce(wamid, \(s.wamid)), sent_at = coalesce(sent_at, \(at)),
                           awaiting_settlement = false, last_error = NULL, updated_at = \(nowMillis) WHERE id = \(id)
                    """, logger: logger)
                if try row.get("awaiting_settlement", as: Bool.self) || state == .queued {
                    let detail = "the request's outcome was unknown; a '\(s.status)' status shows the API took it (\(s.wamid)), so it is not resent"
                    try await conn.exec("INSERT INTO events (message_id, at, status, detail) VALUES (\(id), \(nowMillis), 'settled', \(detail))", logger: logger)
                    try await logEvent(conn, .settled, channel: channel, messageID: id, at: nowMillis,
                                       data: ["wamid": .string(s.wamid), "status": .string(s.status), "detail": .string(detail)])
                }
                try await logEvent(conn, .sent, channel: channel, messageID: id, at: nowMillis, data: ["wamid": .string(s.wamid)])
                if rank > 1 { try await logStatus(conn, s, rank: rank, channel: channel, messageID: id, at: at, nowMillis: nowMillis) }
            case .sent, .delivered, .read, .failed:
                let current = state == .failed ? 0 : (StatusReport.rank(state.rawValue) ?? 0)
                if rank > current {
                    try await conn.exec("UPDATE messages SET state = \(newState.rawValue), wamid = coalesce(wamid, \(s.wamid)), updated_at = \(nowMillis) WHERE id = \(id)",
                                        logger: logger)
                }
                if rank > 1 { try await logStatus(conn, s, rank: rank, channel: channel, messageID: id, at: at, nowMillis: nowMillis) }
            case .expired, .cancelled:
                break
            }
            return freed
        }
        guard s.status == "failed" else { return nil }
        if [.queued, .sending, .sent, .delivered].contains(state) {
            let reason = "failed status: " + (s.error?.summary ?? "no error given")
            try await conn.exec("UPDATE messages SET state = 'failed', last_error = \(reason), awaiting_settlement = false, updated_at = \(nowMillis) WHERE id = \(id)",
                                logger: logger)
            try await logFailed(conn, channel: channel, messageID: id, at: nowMillis, reason: reason, error: s.error ?? APIFailure(httpStatus: nil, code: nil, title: nil, details: nil))
        }
        if let meaning = s.meaning {
            effects.merge(try await applyFacts(meaning, failure: s.error, conn: conn, messageID: id, channel: channel, recipient: recipient,
                                               payload: try row.get("payload"), requestStartedMillis: try row.get("sent_at", as: Int64?.self) ?? at,
                                               at: at, nowMillis: nowMillis, byStatus: true))
        }
        return channel
    }

    func logStatus(_ conn: PostgresConnection, _ s: StatusReport, rank: Int, channel: String, messageID: Int64, at: Int64, nowMillis: Int64) async throws {
        try await logEvent(conn, rank == 2 ? .delivered : .read, channel: channel, messageID: messageID, at: nowMillis,
                           data: ["wamid": .string(s.wamid), "status_at": .string(RFC3339.format(millis: at))])
    }
}
