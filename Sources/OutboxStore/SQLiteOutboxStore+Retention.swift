import Foundation
import GRDB
import OutboxCore

/// Retention, one small batch per transaction: the retention service calls these in a loop
/// and pauses between batches, so a send never waits long behind it for the writer.
/// Only finished messages (not `queued`, not `sending`) and processed webhook payloads are
/// ever touched.
extension SQLiteOutboxStore {
    /// Erases the bodies of up to `limit` finished messages last changed before
    /// `cutoffMillis`, oldest first; returns how many. Attempts and events stay.
    public func eraseBodies(changedBefore cutoffMillis: Int64, limit: Int) async throws(StoreError) -> Int {
        try await write { db in
            try db.cachedStatement(sql: """
                UPDATE messages SET payload = NULL WHERE id IN (
                    SELECT id FROM messages INDEXED BY messages_erasable
                    WHERE payload IS NOT NULL AND state <> 'queued' AND state <> 'sending' AND updated_at < ?
                    ORDER BY updated_at LIMIT ?)
                """).execute(arguments: [cutoffMillis, limit])
            return db.changesCount
        }
    }

    /// Deletes the finished messages last changed before `cutoffMillis`, with their attempts
    /// and events (the foreign keys cascade), among the next `limit` messages after `afterID`
    /// in id order. Returns how many went and the id to continue after, or nil once the walk
    /// reached the end or a message created after the cutoff (a later one cannot qualify:
    /// ids grow with `created_at`, and `updated_at` is never before `created_at`).
    public func deleteFinished(changedBefore cutoffMillis: Int64, afterID: Int64, limit: Int) async throws(StoreError) -> (deleted: Int, next: Int64?) {
        try await write { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, state, created_at, updated_at FROM messages WHERE id > ? ORDER BY id LIMIT ?"),
                                        arguments: [afterID, limit])
            let delete = try db.cachedStatement(sql: "DELETE FROM messages WHERE id = ?")
            var deleted = 0
            for row in rows {
                if (row["created_at"] as Int64) >= cutoffMillis { return (deleted, nil) }
                let state: String = row["state"]
                guard state != MessageState.queued.rawValue, state != MessageState.sending.rawValue, (row["updated_at"] as Int64) < cutoffMillis else { continue }
                try delete.execute(arguments: [row["id"] as Int64])
                deleted += 1
            }
            let next: Int64? = rows.count < limit ? nil : rows.last.map { $0["id"] as Int64 }
            return (deleted, next)
        }
    }

    /// Empties the bodies of up to `limit` processed webhook payloads received before
    /// `cutoffMillis`, in arrival order from where the last call stopped (kept in `meta`,
    /// so erased payloads are not read again); the row, its arrival time and any error stay.
    /// Returns how many, and whether the walk reached payloads too new or not yet processed.
    public func erasePayloads(receivedBefore cutoffMillis: Int64, limit: Int) async throws(StoreError) -> (erased: Int, done: Bool) {
        try await write { db in
            let cursor = try Int64.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'retention_inbox_cursor'") ?? 0
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT id, received_at, processed_at IS NOT NULL AS processed, length(body) AS size FROM inbox WHERE id > ? ORDER BY id LIMIT ?
                """), arguments: [cursor, limit])
            let erase = try db.cachedStatement(sql: "UPDATE inbox SET body = X'' WHERE id = ?")
            var erased = 0
            var last = cursor
            var done = rows.count < limit
            for row in rows {
                guard (row["received_at"] as Int64) < cutoffMillis, row["processed"] as Bool else { done = true; break }
                if (row["size"] as Int) > 0 {
                    try erase.execute(arguments: [row["id"] as Int64])
                    erased += 1
                }
                last = row["id"]
            }
            if last != cursor {
                try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('retention_inbox_cursor', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                               arguments: [String(last)])
            }
            return (erased, done)
        }
    }

    /// Deletes up to `limit` processed webhook payloads received before `cutoffMillis`, oldest
    /// first, stopping at the first one too new or not yet processed; returns how many.
    public func deletePayloads(receivedBefore cutoffMillis: Int64, limit: Int) async throws(StoreError) -> Int {
        try await write { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, received_at, processed_at IS NOT NULL AS processed FROM inbox ORDER BY id LIMIT ?"),
                                        arguments: [limit])
            let delete = try db.cachedStatement(sql: "DELETE FROM inbox WHERE id = ?")
            var deleted = 0
            for row in rows {
                guard (row["received_at"] as Int64) < cutoffMillis, row["processed"] as Bool else { break }
                try delete.execute(arguments: [row["id"] as Int64])
                deleted += 1
            }
            return deleted
        }
    }

    /// Keeps what the last retention pass did, for `stats`.
    public func saveRetentionPass(_ pass: RetentionPass) async throws(StoreError) {
        let text = String(decoding: (try? JSONEncoder().encode(pass)) ?? Data("{}".utf8), as: UTF8.self)
        try await write { db in
            try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('retention_last_pass', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [text])
        }
    }

    /// What the last retention pass did, if one ran.
    public func lastRetentionPass() async throws(StoreError) -> RetentionPass? {
        let text = try await read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'retention_last_pass'") }
        return text.flatMap { try? JSONDecoder().decode(RetentionPass.self, from: Data($0.utf8)) }
    }
}
