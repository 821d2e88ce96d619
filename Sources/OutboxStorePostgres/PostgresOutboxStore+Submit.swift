import OutboxCore
import OutboxStore
import PostgresNIO

extension PostgresOutboxStore {
    /// Stores a batch of validated submissions in one transaction (one commit for all), with the
    /// same idempotency rules as SQLite: keys and payloads compare as bytes.
    public func submit(_ batch: [Submission], nowMillis: Int64) async throws(StoreError) -> [SubmitResult] {
        try await write { conn in
            var results: [SubmitResult] = []
            var keysInBatch: [[UInt8]: (id: Int64, to: String, payload: String)] = [:]
            var created: [Int64] = []
            for s in batch {
                let payload = s.message.canonicalText
                let scoped = s.idempotencyKey.map { Array((s.channel + "\u{0}" + $0).utf8) }
                if let scoped, let seen = keysInBatch[scoped] {
                    results.append(seen.to == s.recipient.e164 && seen.payload.utf8.elementsEqual(payload.utf8) ? .duplicate(id: seen.id, state: .queued) : .conflict(id: seen.id))
                    continue
                }
                let due = max(nowMillis, s.notBeforeMillis ?? nowMillis)
                let inserted = try await conn.value("""
                    INSERT INTO messages (channel, recipient, type, payload, idempotency_key, priority, state, created_at, updated_at, due_at, expires_at, import_id)
                    VALUES (\(s.channel), \(s.recipient.e164), \(s.messageType), \(payload), \(s.idempotencyKey), \(s.priority.rank), 'queued',
                            \(nowMillis), \(nowMillis), \(due), \(s.expiresAtMillis), \(s.importID))
                    ON CONFLICT (channel, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                    RETURNING id
                    """, as: Int64.self, logger: self.logger)
                guard let id = inserted else {
                    // The key is taken (by an earlier batch, or another daemon's): compare with the stored row.
                    let key = s.idempotencyKey ?? ""
                    guard let row = try await conn.rows("SELECT id, recipient, payload, state FROM messages WHERE channel = \(s.channel) AND idempotency_key = \(key)",
                                                        logger: self.logger).first else {
                        throw StoreError.unavailable("message with idempotency_key '\(key)' neither stored nor found")
                    }
                    let id = try row.get("id", as: Int64.self)
                    let same = try row.get("recipient", as: String.self) == s.recipient.e164
                        && (try row.get("payload", as: String?.self))?.utf8.elementsEqual(payload.utf8) == true
                    results.append(same ? .duplicate(id: id, state: MessageState(rawValue: try row.get("state")) ?? .queued) : .conflict(id: id))
                    continue
                }
                created.append(id)
                if let scoped { keysInBatch[scoped] = (id, s.recipient.e164, payload) }
                results.append(.created(id: id))
            }
            if !created.isEmpty { try await self.logAccepted(conn, ids: created) }
            return results
        }
    }

    /// Cancels a message that has not been handed to the API.
    public func cancel(id: Int64, nowMillis: Int64) async throws(StoreError) -> (cancelled: Bool, state: MessageState) {
        try await write { conn in
            guard let raw = try await conn.value("SELECT state FROM messages WHERE id = \(id) FOR UPDATE", as: String.self, logger: self.logger),
                  let state = MessageState(rawValue: raw) else { throw StoreError.notFound }
            guard state == .queued else { return (false, state) }
            try await conn.exec("UPDATE messages SET state = 'cancelled', updated_at = \(nowMillis) WHERE id = \(id)", logger: self.logger)
            try await conn.exec("INSERT INTO events (message_id, at, status, detail) VALUES (\(id), \(nowMillis), 'cancelled', 'cancelled by request')", logger: self.logger)
            try await self.logMessageEvent(conn, .cancelled, messageID: id, at: nowMillis, data: ["reason": .string("cancelled by request")])
            return (true, .cancelled)
        }
    }
}
