import OutboxCore
import OutboxStore
import PostgresNIO

/// Retention in small batches, as SQLite's: each batch one transaction, guarded by state, so
/// two daemons running it at once cost a little work twice and change nothing twice.
extension PostgresOutboxStore {
    public func eraseBodies(changedBefore cutoffMillis: Int64, limit: Int) async throws(StoreError) -> Int {
        try await write { conn in
            try await conn.rows("""
                UPDATE messages SET payload = NULL WHERE id IN (
                    SELECT id FROM messages WHERE payload IS NOT NULL AND state NOT IN ('queued', 'sending') AND updated_at < \(cutoffMillis)
                    ORDER BY updated_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING id
                """, logger: self.logger).count
        }
    }

    public func deleteFinished(changedBefore cutoffMillis: Int64, afterID: Int64, limit: Int) async throws(StoreError) -> (deleted: Int, next: Int64?) {
        try await write { conn in
            let rows = try await conn.rows("SELECT id, state, created_at, updated_at FROM messages WHERE id > \(afterID) ORDER BY id LIMIT \(limit)", logger: self.logger)
            var ids: [Int64] = []
            var stop = false
            for r in rows {
                if try r.get("created_at", as: Int64.self) >= cutoffMillis { stop = true; break }
                let state: String = try r.get("state")
                guard state != MessageState.queued.rawValue, state != MessageState.sending.rawValue, try r.get("updated_at", as: Int64.self) < cutoffMillis else { continue }
                ids.append(try r.get("id"))
            }
            let deleted = ids.isEmpty ? 0 : try await conn.rows("""
                DELETE FROM messages WHERE id = ANY(\(ids)) AND state NOT IN ('queued', 'sending') RETURNING id
                """, logger: self.logger).count
            if stop { return (deleted, nil) }
            return (deleted, rows.count < limit ? nil : try rows.last?.get("id", as: Int64.self))
        }
    }

    public func erasePayloads(receivedBefore cutoffMillis: Int64, limit: Int) async throws(StoreError) -> (erased: Int, done: Bool) {
        try await write { conn in
            let cursor = Int64(try await conn.value("SELECT value FROM meta WHERE key = 'retention_inbox_cursor'", as: String.self, logger: self.logger) ?? "0") ?? 0
            let rows = try await conn.rows("""
                SELECT id, received_at, processed_at IS NOT NULL AS processed, octet_length(body) AS size FROM inbox WHERE id > \(cursor) ORDER BY id LIMIT \(limit)
                """, logger: self.logger)
            var erase: [Int64] = []
            var last = cursor
            var done = rows.count < limit
            for r in rows {
                guard try r.get("received_at", as: Int64.self) < cutoffMillis, try r.get("processed", as: Bool.self) else { done = true; break }
                if try r.get("size", as: Int.self) > 0 { erase.append(try r.get("id")) }
                last = try r.get("id")
            }
            if !erase.isEmpty { try await conn.exec("UPDATE inbox SET body = ''::bytea WHERE id = ANY(\(erase))", logger: self.logger) }
            if last != cursor {
                try await conn.exec("""
                    INSERT INTO meta (key, value) VALUES ('retention_inbox_cursor', \(String(last))) ON CONFLICT (key) DO UPDATE SET value = excluded.value
                    """, logger: self.logger)
            }
            return (erase.count, done)
        }
    }

    public func deletePayloads(receivedBefore cutoffMillis: Int64, limit: Int) async throws(StoreError) -> Int {
        try await write { conn in
            var ids: [Int64] = []
            for r in try await conn.rows("SELECT id, received_at, processed_at IS NOT NULL AS processed FROM inbox ORDER BY id LIMIT \(limit)", logger: self.logger) {
                guard try r.get("received_at", as: Int64.self) < cutoffMillis, try r.get("processed", as: Bool.self) else { break }
                ids.append(try r.get("id"))
            }
            guard !ids.isEmpty else { return 0 }
            return try await conn.rows("DELETE FROM inbox WHERE id = ANY(\(ids)) RETURNING id", logger: self.logger).count
        }
    }

    public func deleteEvents(before cutoffMillis: Int64, limit: Int) async throws(StoreError) -> Int {
        try await write { conn in
            var last: Int64?
            for r in try await conn.rows("SELECT id, at FROM event_log ORDER BY id LIMIT \(limit)", logger: self.logger) {
                guard try r.get("at", as: Int64.self) < cutoffMillis else { break }
                last = try r.get("id")
            }
            guard let last else { return 0 }
            return try await conn.rows("DELETE FROM event_log WHERE id <= \(last) RETURNING id", logger: self.logger).count
        }
    }

    public func eraseEventContent(before cutoffMillis: Int64, limit: Int) async throws(StoreError) -> (erased: Int, done: Bool) {
        try await write { conn in
            let cursor = Int64(try await conn.value("SELECT value FROM meta WHERE key = 'retention_event_cursor'", as: String.self, logger: self.logger) ?? "0") ?? 0
            let rows = try await conn.rows("SELECT id, at, type FROM event_log WHERE id > \(cursor) ORDER BY id LIMIT \(limit)", logger: self.logger)
            var erase: [Int64] = []
            var last = cursor
            var done = rows.count < limit
            for r in rows {
                guard try r.get("at", as: Int64.self) < cutoffMillis else { done = true; break }
                if try r.get("type", as: String.self) == EventType.inbound.rawValue { erase.append(try r.get("id")) }
                last = try r.get("id")
            }
            if !erase.isEmpty {
                try await conn.exec("""
                    UPDATE event_log SET data = (data::jsonb || '{"text": null, "message": null}'::jsonb)::text WHERE id = ANY(\(erase))
                    """, logger: self.logger)
            }
            if last != cursor {
                try await conn.exec("""
                    INSERT INTO meta (key, value) VALUES ('retention_event_cursor', \(String(last))) ON CONFLICT (key) DO UPDATE SET value = excluded.value
                    """, logger: self.logger)
            }
            return (erase.count, done)
        }
    }

    /// Cancels an import's queued messages.
    public func cancel(importID: String, nowMillis: Int64) async throws(StoreError) -> Int {
        try await write { conn in
            guard try await conn.value("SELECT EXISTS (SELECT 1 FROM messages WHERE import_id = \(importID))", as: Bool.self, logger: self.logger) == true else {
                throw StoreError.notFound
            }
            let ids = try await conn.rows("""
                UPDATE messages SET state = 'cancelled', updated_at = \(nowMillis) WHERE import_id = \(importID) AND state = 'queued' RETURNING id
                """, logger: self.logger).map { try $0.get("id", as: Int64.self) }.sorted()
            guard !ids.isEmpty else { return 0 }
            try await conn.exec("""
                INSERT INTO events (message_id, at, status, detail) SELECT id, \(nowMillis), 'cancelled', 'cancelled with its import' FROM unnest(\(ids)::bigint[]) AS id
                """, logger: self.logger)
            try await conn.exec("""
                INSERT INTO event_pending (at, type, channel, message_id, data)
                SELECT \(nowMillis), 'cancelled', channel, id, '{"reason":"cancelled with its import"}' FROM messages WHERE id = ANY(\(ids)) ORDER BY id
                """, logger: self.logger)
            self.notePendingEvents()
            return ids.count
        }
    }

    public func pricedToday(nowMillis: Int64) async throws(StoreError) -> [String: [String: (messages: Int, billable: Int)]] {
        try await read { conn in
            var out: [String: [String: (messages: Int, billable: Int)]] = [:]
            for r in try await conn.rows("SELECT channel, category, billable, messages FROM priced WHERE day = \(nowMillis / 86_400_000)", logger: self.logger) {
                let channel: String = try r.get("channel"), category: String = try r.get("category")
                let n = try r.get("messages", as: Int.self)
                var entry = out[channel, default: [:]][category, default: (0, 0)]
                entry.messages += n
                if try r.get("billable", as: Int.self) == 1 { entry.billable += n }
                out[channel, default: [:]][category] = entry
            }
            return out
        }
    }

    public func queueFigures() async throws(StoreError) -> QueueFigures {
        try await read { conn in
            var f = QueueFigures()
            for r in try await conn.rows("""
                SELECT channel, priority, count(*) AS n, min(due_at) AS due FROM messages WHERE state = 'queued' GROUP BY channel, priority
                """, logger: self.logger) {
                guard let p = Priority(rank: try r.get("priority")) else { continue }
                let channel: String = try r.get("channel")
                f.queued[channel, default: [:]][p] = try r.get("n", as: Int.self)
                if let due = try r.get("due", as: Int64?.self) { f.earliestDueMillis[channel] = min(f.earliestDueMillis[channel] ?? due, due) }
            }
            for r in try await conn.rows("SELECT channel, count(*) AS n FROM messages WHERE state = 'sending' GROUP BY channel", logger: self.logger) {
                f.sending[try r.get("channel")] = try r.get("n", as: Int.self)
            }
            try await self.measureSize(conn)  // the metrics scrape reads `sizeBytes` next
            return f
        }
    }

    public func timelineEndings(afterEventID afterID: Int64) async throws(StoreError) -> TimelineEndings {
        try await read { conn in
            let last = try await conn.value("SELECT max(id) FROM events", as: Int64.self, logger: self.logger) ?? afterID
            var endings = TimelineEndings(lastEventID: max(last, afterID))
            guard last > afterID else { return endings }
            for r in try await conn.rows("""
                SELECT m.channel AS channel, e.status AS status, m.wamid IS NOT NULL AS accepted, count(*) AS n
                FROM events e JOIN messages m ON m.id = e.message_id
                WHERE e.id > \(afterID) AND e.id <= \(last) AND e.status IN ('failed', 'expired')
                GROUP BY 1, 2, 3
                """, logger: self.logger) {
                let key = TimelineEndings.Key(channel: try r.get("channel"), state: try r.get("status"), afterAcceptance: try r.get("accepted"))
                endings.counts[key] = try r.get("n", as: Int.self)
            }
            return endings
        }
    }
}
