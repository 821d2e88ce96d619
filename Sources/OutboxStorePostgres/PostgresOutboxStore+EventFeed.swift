import OutboxCore
import OutboxStore
import PostgresNIO

extension PostgresOutboxStore {
    /// Events after the cursor, oldest first, as SQLite's feed (the same paging and scan bound).
    public func events(after: Int64, limit: Int, filter: EventFilter, scanLimit: Int) async throws(StoreError) -> EventPage {
        try await read { conn in
            func decode(_ r: PostgresRandomAccessRow) throws -> LoggedEvent {
                LoggedEvent(id: try r.get("id"), atMillis: try r.get("at"), type: try r.get("type"), channel: try r.get("channel"),
                            messageID: try r.get("message_id"), data: try r.get("data"))
            }
            if filter.isEmpty {
                let rows = try await conn.rows("""
                    SELECT id, at, type, channel, message_id, data FROM event_log WHERE id > \(after) ORDER BY id LIMIT \(limit)
                    """, logger: self.logger)
                return EventPage(events: try rows.map(decode), nextCursor: try rows.last?.get("id", as: Int64.self) ?? after)
            }
            guard let b = try await conn.rows("SELECT min(id) AS lo, max(id) AS hi FROM event_log", logger: self.logger).first,
                  let oldest = try b.get("lo", as: Int64?.self), let newest = try b.get("hi", as: Int64?.self), newest > after else {
                return EventPage(events: [], nextCursor: after)
            }
            let after = max(after, oldest - 1)
            let (end, overflow) = after.addingReportingOverflow(Int64(scanLimit))
            let upTo = overflow ? newest : min(newest, end)
            var events: [LoggedEvent] = []
            let rows = try await conn.rows("""
                SELECT id, at, type, channel, message_id, data FROM event_log WHERE id > \(after) AND id <= \(upTo) ORDER BY id
                """, logger: self.logger)
            for r in rows {
                let e = try decode(r)
                if filter.admits(type: e.type, channel: e.channel) {
                    events.append(e)
                    if events.count == limit { return EventPage(events: events, nextCursor: e.id) }
                }
            }
            return EventPage(events: events, nextCursor: upTo)
        }
    }

    public func eventRange() async throws(StoreError) -> (oldest: Int64, newest: Int64)? {
        try await read { conn in
            guard let r = try await conn.rows("SELECT min(id) AS lo, max(id) AS hi FROM event_log", logger: self.logger).first,
                  let lo = try r.get("lo", as: Int64?.self), let hi = try r.get("hi", as: Int64?.self) else { return nil }
            return (lo, hi)
        }
    }

    public func countEvents(after: Int64, filter: EventFilter, cap: Int) async throws(StoreError) -> Int {
        try await read { conn in
            if filter.isEmpty {
                return try await conn.value("SELECT count(*) FROM (SELECT 1 FROM event_log WHERE id > \(after) LIMIT \(cap)) t", as: Int.self, logger: self.logger) ?? 0
            }
            var n = 0
            for r in try await conn.rows("SELECT type, channel FROM event_log WHERE id > \(after) ORDER BY id LIMIT \(cap)", logger: self.logger) {
                if filter.admits(type: try r.get("type"), channel: try r.get("channel")) { n += 1 }
            }
            return n
        }
    }
}
