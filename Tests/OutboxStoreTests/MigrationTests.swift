import GRDB
import OutboxCore
import OutboxMigrations
import OutboxStore
import Testing
import TestSupport

@Suite("Schema migrations")
struct MigrationTests {
    let dir = TempDir()

    @Test("version 6 keeps every row, never reuses an id, and keeps the cascade from messages")
    func rebuildKeepsRows() async throws {
        let path = dir.file("old.db")
        try seedOldDatabase(at: path, migrations: 5)
        let store = try SQLiteOutboxStore(path: path)
        #expect(try store.appliedMigrations() == Migrations.all.map(\.name))
        let timeline = try #require(try await store.timeline(id: 1))
        #expect(timeline.message.state == .sent && timeline.message.wamid == "wamid.1")
        #expect(timeline.attempts.map(\.outcome) == [.accepted])
        #expect(timeline.events.map(\.status) == ["delivered"])
        #expect(try await store.list(MessageFilter(state: .failed)).messages.map(\.id) == [2])
        // Id 3 was used and deleted: the next message gets 4, not 3.
        let results = try await store.submit([text("new")], nowMillis: 5)
        #expect(results == [.created(id: 4)])

        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            try db.execute(sql: "DELETE FROM messages WHERE id = 1")
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM attempts") == 0)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events") == 0)
        }
    }

    @Test("no write to messages, attempts or events builds a temporary b-tree per row (IN lists in CHECKs and partial indexes did)")
    func noEphemeralTables() throws {
        let path = dir.file("new.db")
        _ = try SQLiteOutboxStore(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.read { db in
            for sql in [
                "INSERT INTO messages (channel, recipient, type, payload, idempotency_key, priority, state, created_at, updated_at, due_at) VALUES ('c', '+4915100000001', 'text', '{}', NULL, 1, 'queued', 1, 1, 1)",
                "UPDATE messages SET state = 'sending', updated_at = 2 WHERE id = 1",
                "UPDATE messages SET state = 'sent', wamid = 'w', updated_at = 3 WHERE id = 1 AND state = 'sending'",
                "INSERT INTO attempts (message_id, channel, at, outcome) VALUES (1, 'c', 1, 'accepted')",
                "INSERT OR IGNORE INTO events (message_id, at, status) VALUES (1, 1, 'delivered')",
            ] {
                let opcodes = try String.fetchAll(db, sql: "EXPLAIN " + sql)
                #expect(!opcodes.contains("OpenEphemeral"), "\(sql)")
            }
        }
    }
}
