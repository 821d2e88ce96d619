import GRDB
import OutboxCore

/// Retention of the event log, as for messages: customers' words in `inbound` events are
/// erased after `erase_bodies_after`, and events go after `delete_after` (counted from when
/// they were written). Deletion takes the oldest first, so the kept ids stay one range and a
/// reader without a cursor starts at the oldest kept.
extension SQLiteOutboxStore {
    /// Deletes up to `limit` events written before `cutoffMillis`, oldest first, stopping at
    /// the first newer one; returns how many.
    public func deleteEvents(before cutoffMillis: Int64, limit: Int) async throws(StoreError) -> Int {
        try await write { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, at FROM event_log ORDER BY id LIMIT ?"), arguments: [limit])
            var last: Int64?
            for row in rows {
                guard (row["at"] as Int64) < cutoffMillis else { break }
                last = row["id"]
            }
            guard let last else { return 0 }
            try db.cachedStatement(sql: "DELETE FROM event_log WHERE id <= ?").execute(arguments: [last])
            return db.changesCount
        }
    }

    /// Erases `text` and `message` of up to `limit` events' worth of `inbound` events written
    /// before `cutoffMillis`, walking ids from where the last call stopped (kept in `meta`).
    public func eraseEventContent(before cutoffMillis: Int64, limit: Int) async throws(StoreError) -> (erased: Int, done: Bool) {
        try await write { db in
            let cursor = try Int64.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'retention_event_cursor'") ?? 0
            let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, at, type FROM event_log WHERE id > ? ORDER BY id LIMIT ?"),
                                        arguments: [cursor, limit])
            let erase = try db.cachedStatement(sql: """
                UPDATE event_log SET data = json_set(data, '$.text', json('null'), '$.message', json('null')) WHERE id = ?
                """)
            var erased = 0
            var last = cursor
            var done = rows.count < limit
            for row in rows {
                guard (row["at"] as Int64) < cutoffMillis else { done = true; break }
                if (row["type"] as String) == EventType.inbound.rawValue {
                    try erase.execute(arguments: [row["id"] as Int64])
                    erased += 1
                }
                last = row["id"]
            }
            if last != cursor {
                try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('retention_event_cursor', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                               arguments: [String(last)])
            }
            return (erased, done)
        }
    }
}
