import Foundation
import OutboxCore
import OutboxStore
import PostgresNIO

extension PostgresOutboxStore {
    /// Stores a batch of validated submissions in one transaction (one commit for all), with the
    /// same idempotency rules as SQLite: keys and payloads compare as bytes.
    ///
    /// The batch is one INSERT of every new row (ids drawn from the sequence first, so each row
    /// knows its id whatever RETURNING's order), then a lookup only for keys already taken: a
    /// few round trips per batch, not one per message.
    public func submit(_ batch: [Submission], nowMillis: Int64) async throws(StoreError) -> [SubmitResult] {
        guard !batch.isEmpty else { return [] }
        return try await write { conn in
            var results = [SubmitResult?](repeating: nil, count: batch.count)
            let payloads = batch.map(\.payload)
            // The first row of each key in the batch is inserted; later ones are judged against it.
            var firstOfKey: [[UInt8]: Int] = [:]
            var later: [(index: Int, first: Int)] = []
            var inserting: [Int] = []
            for (i, s) in batch.enumerated() {
                if let key = s.idempotencyKey {
                    let scoped = Array((s.channel + "\u{0}" + key).utf8)
                    if let first = firstOfKey[scoped] { later.append((i, first)); continue }
                    firstOfKey[scoped] = i
                }
                inserting.append(i)
            }
            let ids = try await conn.rows("""
                SELECT nextval(pg_get_serial_sequence('messages', 'id')) AS id FROM generate_series(1, \(inserting.count))
                """, logger: self.logger).map { try $0.get("id", as: Int64.self) }
            let holds = try await self.submissionHolds(conn, inserting.map { batch[$0] }, nowMillis: nowMillis)
            let rows: [SubmitRow] = zip(inserting, ids).map { i, id in
                let s = batch[i]
                let due = max(nowMillis, s.notBeforeMillis ?? nowMillis)
                let hold = holds.hold(s)
                return SubmitRow(id: id, channel: s.channel, recipient: s.recipient.e164, type: s.messageType, payload: payloads[i], key: s.idempotencyKey,
                                 priority: s.priority.rank, due: max(due, hold?.until ?? due), expires: s.expiresAtMillis, importID: s.importID,
                                 heldBy: hold?.by, heldReason: hold?.reason, heldDue: hold.map { _ in due })
            }
            let json = String(decoding: try JSONEncoder().encode(rows), as: UTF8.self)
            let created = Set(try await conn.rows("""
                INSERT INTO messages (id, channel, recipient, type, payload, idempotency_key, priority, state, created_at, updated_at, due_at, expires_at, import_id,
                                      held_by, held_reason, held_due_at)
                OVERRIDING SYSTEM VALUE
                SELECT r.id, r.channel, r.recipient, r.type, r.payload, r.key, r.priority, 'queued', \(nowMillis), \(nowMillis), r.due, r.expires, r.import_id,
                       r.held_by, r.held_reason, r.held_due
                FROM json_to_recordset(\(json)::json) AS r(id bigint, channel text, recipient text, type text, payload text, key text, priority smallint,
                                                           due bigint, expires bigint, import_id text, held_by text, held_reason text, held_due bigint)
                ORDER BY r.id
                ON CONFLICT (channel, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                RETURNING id
                """, logger: self.logger).map { try $0.get("id", as: Int64.self) })
            var idOf: [Int: Int64] = [:]
            for (i, id) in zip(inserting, ids) {
                if created.contains(id) {
                    results[i] = .created(id: id)
                    idOf[i] = id
                } else {
                    // The key was taken before (by an earlier batch, or another daemon's).
                    results[i] = try await self.compareStored(conn, batch[i], payload: payloads[i])
                }
            }
            for (i, first) in later {
                let s = batch[i]
                if let id = idOf[first] {
                    let same = batch[first].recipient.e164 == s.recipient.e164 && payloads[first].utf8.elementsEqual(payloads[i].utf8)
                    results[i] = same ? .duplicate(id: id, state: .queued) : .conflict(id: id)
                } else {
                    results[i] = try await self.compareStored(conn, s, payload: payloads[i])
                }
            }
            if !created.isEmpty { try await self.logAccepted(conn, ids: created.sorted()) }
            return results.map { $0! }
        }
    }

    /// The result for a submission whose key is already stored: a duplicate when the stored
    /// row has the same recipient and payload bytes, else a conflict.
    private func compareStored(_ conn: PostgresConnection, _ s: Submission, payload: String) async throws -> SubmitResult {
        let key = s.idempotencyKey ?? ""
        guard let row = try await conn.rows("SELECT id, recipient, payload, state FROM messages WHERE channel = \(s.channel) AND idempotency_key = \(key)",
                                            logger: logger).first else {
            throw StoreError.unavailable("message with idempotency_key '\(key)' neither stored nor found")
        }
        let id = try row.get("id", as: Int64.self)
        let same = try row.get("recipient", as: String.self) == s.recipient.e164 && (try row.get("payload", as: String?.self))?.utf8.elementsEqual(payload.utf8) == true
        return same ? .duplicate(id: id, state: MessageState(rawValue: try row.get("state")) ?? .queued) : .conflict(id: id)
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

/// One new message as the batch INSERT reads it (`json_to_recordset`).
private struct SubmitRow: Encodable {
    var id: Int64
    var channel: String
    var recipient: String
    var type: String
    var payload: String
    var key: String?
    var priority: Int
    var due: Int64
    var expires: Int64?
    var importID: String?
    var heldBy: String?
    var heldReason: String?
    var heldDue: Int64?

    enum CodingKeys: String, CodingKey {
        case id, channel, recipient, type, payload, key, priority, due, expires
        case importID = "import_id"
        case heldBy = "held_by"
        case heldReason = "held_reason"
        case heldDue = "held_due"
    }
}
