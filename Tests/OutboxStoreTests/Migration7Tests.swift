import GRDB
import OutboxCore
import OutboxMigrations
import OutboxStore
import Testing
import TestSupport

@Suite("Schema migration 7 (BSUID recipients, audit columns)")
struct Migration7Tests {
    let dir = TempDir()

    @Test("version 7 keeps every row and the id sequence, and lets a BSUID be a recipient")
    func rebuild() async throws {
        let path = dir.file("old.db")
        try seedOldDatabase(at: path, migrations: 6)
        let store = try SQLiteOutboxStore(path: path)
        #expect(try store.appliedMigrations() == Migrations.all.map(\.name))
        let timeline = try #require(try await store.timeline(id: 1))
        #expect(timeline.message.state == .sent && timeline.message.wamid == "wamid.1")
        #expect(timeline.attempts.map(\.outcome) == [.accepted])
        #expect(timeline.events.map(\.status) == ["delivered"])
        let bsuid = try Submission(channel: "main", recipient: Recipient(bsuid: "US.13491208655302741918"),
                                   message: .object(["type": .string("text"), "text": .object(["body": .string("hi")])]), nowMillis: 5)
        #expect(try await store.submit([bsuid], nowMillis: 5) == [.created(id: 4)], "id 3 was used: the next is 4")

        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            #expect(throws: (any Error).self, "anything else is still refused") {
                try db.execute(sql: """
                    INSERT INTO messages (channel, recipient, type, priority, state, created_at, updated_at, due_at)
                    VALUES ('main', 'not a recipient', 'text', 1, 'queued', 1, 1, 1)
                    """)
            }
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            try db.execute(sql: "DELETE FROM messages WHERE id = 1")
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM attempts") == 0, "the cascade from messages is kept")
        }
    }

    @Test("no write to messages builds a temporary b-tree per row after the rebuild")
    func noEphemeralTables() throws {
        let path = dir.file("new.db")
        _ = try SQLiteOutboxStore(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.read { db in
            for sql in [
                "INSERT INTO messages (channel, recipient, type, payload, idempotency_key, priority, state, created_at, updated_at, due_at) VALUES ('c', 'US.1', 'text', '{}', NULL, 1, 'queued', 1, 1, 1)",
                "UPDATE messages SET state = 'sending', updated_at = 2 WHERE id = 1",
                "INSERT INTO attempts (message_id, channel, at, outcome, fbtrace_id, message_status, wa_id) VALUES (1, 'c', 1, 'accepted', NULL, 'accepted', '1')",
            ] {
                let opcodes = try String.fetchAll(db, sql: "EXPLAIN " + sql)
                #expect(!opcodes.contains("OpenEphemeral"), "\(sql)")
            }
        }
    }
}
