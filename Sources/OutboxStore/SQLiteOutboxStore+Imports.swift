import GRDB
import OutboxCore

extension SQLiteOutboxStore {
    /// Cancels every still-queued message of a bulk import in one transaction, each with a
    /// `cancelled` event in its timeline. Messages already handed to the API are left alone.
    /// - Returns: how many were cancelled.
    /// - Throws: `StoreError.notFound` when no message carries this import id.
    public func cancel(importID: String, nowMillis: Int64) async throws(StoreError) -> Int {
        try await write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM messages WHERE import_id = ?)", arguments: [importID]) == true else {
                throw StoreError.notFound
            }
            try db.execute(sql: """
                INSERT INTO events (message_id, at, status, detail)
                SELECT id, ?, 'cancelled', 'cancelled with its import' FROM messages WHERE import_id = ? AND state = 'queued'
                """, arguments: [nowMillis, importID])
            try db.execute(sql: """
                INSERT INTO event_log (at, type, channel, message_id, data)
                SELECT ?, 'cancelled', channel, id, json_object('reason', 'cancelled with its import') FROM messages
                WHERE import_id = ? AND state = 'queued' ORDER BY id
                """, arguments: [nowMillis, importID])
            try db.execute(sql: "UPDATE messages SET state = 'cancelled', updated_at = ? WHERE import_id = ? AND state = 'queued'",
                           arguments: [nowMillis, importID])
            return db.changesCount
        }
    }

    /// How many messages of a bulk import are in each state; empty when none carries this id.
    public func stateCounts(importID: String) async throws(StoreError) -> [MessageState: Int] {
        try await read { db in
            var counts: [MessageState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM messages WHERE import_id = ? GROUP BY state", arguments: [importID]) {
                if let state = MessageState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }
}
