import OutboxCore
import OutboxStore
import PostgresNIO

extension PostgresOutboxStore {
    static let columns = """
        id, channel, recipient, type, state, priority, created_at, updated_at, due_at, expires_at, wamid,
        last_error, import_id, idempotency_key, attempts, awaiting_settlement, held_reason
        """

    static func record(_ r: PostgresRandomAccessRow, withPayload: Bool) throws -> MessageRecord {
        var m = MessageRecord(
            id: try r.get("id"), channel: try r.get("channel"), recipient: try r.get("recipient"), type: try r.get("type"),
            state: MessageState(rawValue: try r.get("state")) ?? .failed, priority: Priority(rank: try r.get("priority")) ?? .normal,
            createdMillis: try r.get("created_at"), updatedMillis: try r.get("updated_at"), dueMillis: try r.get("due_at"),
            expiresMillis: try r.get("expires_at"), wamid: try r.get("wamid"), lastError: try r.get("last_error"), importID: try r.get("import_id"),
            idempotencyKey: try r.get("idempotency_key"), attemptCount: try r.get("attempts"), awaitingSettlement: try r.get("awaiting_settlement"),
            payload: withPayload ? try r.get("payload") : nil)
        // Only a queued message is held; a finished one keeps the column but not the hold.
        m.heldReason = m.state == .queued ? try r.get("held_reason") : nil
        return m
    }

    /// One message with every attempt and event, or nil.
    public func timeline(id: Int64) async throws(StoreError) -> MessageTimeline? {
        try await read { conn in
            try await self.timeline(conn, try await conn.rows(PostgresQuery(unsafeSQL: "SELECT \(Self.columns), payload FROM messages WHERE id = $1",
                                                                            binds: Self.binds(id)), logger: self.logger).first)
        }
    }

    public func timeline(wamid: String) async throws(StoreError) -> MessageTimeline? {
        try await read { conn in
            try await self.timeline(conn, try await conn.rows(PostgresQuery(unsafeSQL: "SELECT \(Self.columns), payload FROM messages WHERE wamid = $1 LIMIT 1",
                                                                            binds: Self.binds(wamid)), logger: self.logger).first)
        }
    }

    static func binds(_ values: any PostgresEncodable & Sendable...) -> PostgresBindings {
        var b = PostgresBindings()
        for v in values { try? b.append(v) }
        return b
    }

    func timeline(_ conn: PostgresConnection, _ row: PostgresRandomAccessRow?) async throws -> MessageTimeline? {
        guard let row else { return nil }
        let message = try Self.record(row, withPayload: true)
        let attempts = try await conn.rows("""
            SELECT at, outcome, http_status, error_code, error_title, error_details, latency_ms, fbtrace_id, message_status, wa_id
            FROM attempts WHERE message_id = \(message.id) ORDER BY id
            """, logger: logger).map { r in
            AttemptRow(atMillis: try r.get("at"), outcome: AttemptOutcome(rawValue: try r.get("outcome")) ?? .unknownOutcome, httpStatus: try r.get("http_status"),
                       errorCode: try r.get("error_code"), errorTitle: try r.get("error_title"), errorDetails: try r.get("error_details"),
                       latencyMillis: try r.get("latency_ms"), traceID: try r.get("fbtrace_id"), messageStatus: try r.get("message_status"), waID: try r.get("wa_id"))
        }
        let events = try await conn.rows("""
            SELECT at, status, detail, billable, pricing_model, pricing_type, pricing_category, conversation_id, conversation_origin
            FROM events WHERE message_id = \(message.id) ORDER BY at, id
            """, logger: logger).map { r in
            let category: String? = try r.get("pricing_category"), model: String? = try r.get("pricing_model"), billable: Int? = try r.get("billable")
            let conversation: String? = try r.get("conversation_id"), origin: String? = try r.get("conversation_origin")
            let priced = category != nil || model != nil || billable != nil
            let talked = conversation != nil || origin != nil
            return EventRow(atMillis: try r.get("at"), status: try r.get("status"), detail: try r.get("detail"),
                            pricing: priced ? Pricing(billable: billable.map { $0 != 0 }, model: model, type: try r.get("pricing_type"), category: category) : nil,
                            conversation: talked ? Conversation(id: conversation, originType: origin, expiresMillis: nil) : nil)
        }
        return MessageTimeline(message: message, attempts: attempts, events: events)
    }

    /// Messages newest first, filtered, one page (`more`: another page follows).
    public func list(_ filter: MessageFilter) async throws(StoreError) -> (messages: [MessageRecord], more: Bool) {
        try await read { conn in
            var conditions: [String] = []
            var binds = PostgresBindings()
            func bind(_ v: some PostgresEncodable & Sendable) throws -> String {
                try binds.append(v)
                return "$\(binds.count)"
            }
            if let s = filter.state { conditions.append("state = \(try bind(s.rawValue))") }
            if let c = filter.channel { conditions.append("channel = \(try bind(c))") }
            if let r = filter.recipient { conditions.append("recipient = \(try bind(r))") }
            if let i = filter.importID { conditions.append("import_id = \(try bind(i))") }
            if let b = filter.beforeID { conditions.append("id < \(try bind(b))") }
            let whereSQL = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let limit = try bind(filter.limit + 1)
            let rows = try await conn.rows(PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM messages \(whereSQL) ORDER BY id DESC LIMIT \(limit)", binds: binds),
                                           logger: self.logger)
            let messages = try rows.prefix(filter.limit).map { try Self.record($0, withPayload: false) }
            return (messages, rows.count > filter.limit)
        }
    }

    /// How many of an import's messages are in each state.
    public func stateCounts(importID: String) async throws(StoreError) -> [MessageState: Int] {
        try await read { conn in
            var out: [MessageState: Int] = [:]
            for r in try await conn.rows("SELECT state, count(*) AS n FROM messages WHERE import_id = \(importID) GROUP BY state", logger: self.logger) {
                if let s = MessageState(rawValue: try r.get("state")) { out[s] = try r.get("n", as: Int.self) }
            }
            return out
        }
    }

    public func attemptCounts(sinceMillis: Int64) async throws(StoreError) -> [(channel: String, at: Int64, outcome: AttemptOutcome)] {
        try await read { conn in
            try await conn.rows("SELECT channel, at, outcome FROM attempts WHERE at >= \(sinceMillis) ORDER BY at", logger: self.logger).compactMap { r in
                guard let o = AttemptOutcome(rawValue: try r.get("outcome")) else { return nil }
                return (try r.get("channel"), try r.get("at"), o)
            }
        }
    }
}
