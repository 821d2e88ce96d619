import GRDB
import OutboxCore

extension SQLiteOutboxStore {
    /// Cancels every still-queued message of a bulk import in one transaction, each with a
    /// `cancelled` event in its timeline, and removes its rows still staged (they never became
    /// messages: no event, counted as cancelled in the import's states). Messages already
    /// handed to the API are left alone.
    /// - Returns: how many were cancelled (messages and staged rows).
    /// - Throws: `StoreError.notFound` when no message carries this import id and none of it was staged.
    public func cancel(importID: String, nowMillis: Int64) async throws(StoreError) -> Int {
        try await write { db in
            let wasStaged = try Self.stagedTotals(importID: importID, db: db) != nil
            guard try wasStaged || Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM messages WHERE import_id = ?)", arguments: [importID]) == true else {
                throw StoreError.notFound
            }
            let staged = wasStaged ? try Self.cancelStaged(importID: importID, db: db) : 0
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
            return db.changesCount + staged
        }
    }

    /// How many messages of a bulk import are in each state, its rows still staged counted as
    /// queued and those a cancel removed as cancelled; empty when none carries this id.
    public func stateCounts(importID: String) async throws(StoreError) -> [MessageState: Int] {
        try await read { db in
            var counts: [MessageState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM messages WHERE import_id = ? GROUP BY state", arguments: [importID]) {
                if let state = MessageState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            if let staged = try Self.stagedTotals(importID: importID, db: db) {
                if staged.staged > 0 { counts[.queued, default: 0] += staged.staged }
                if staged.cancelled > 0 { counts[.cancelled, default: 0] += staged.cancelled }
            }
            return counts
        }
    }
}
