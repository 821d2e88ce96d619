import GRDB
import OutboxMigrations

/// A database as an older version of the schema left it, for the tests of the migrations that
/// rebuild tables: the first `migrations` migrations applied, a sent message (id 1) with its
/// attempt and event, a failed one (2), and a deleted message (3) above the highest surviving id.
func seedOldDatabase(at path: String, migrations: Int) throws {
    let queue = try DatabaseQueue(path: path)
    var migrator = DatabaseMigrator()
    for m in Migrations.all.prefix(migrations) { migrator.registerMigration(m.name) { db in try db.execute(sql: m.sql) } }
    try migrator.migrate(queue)
    try queue.write { db in
        for id in 1...3 {
            try db.execute(sql: """
                INSERT INTO messages (id, channel, recipient, type, payload, priority, state, created_at, updated_at, due_at, wamid, sent_at)
                VALUES (?, 'main', '+4915100000001', 'text', '{"type":"text"}', 1, ?, 1, 1, 1, ?, ?)
                """, arguments: [id, id == 1 ? "sent" : "failed", id == 1 ? "wamid.1" : nil, id == 1 ? 7 : nil])
        }
        try db.execute(sql: "INSERT INTO attempts (message_id, channel, at, outcome) VALUES (1, 'main', 1, 'accepted')")
        try db.execute(sql: "INSERT INTO events (message_id, at, status) VALUES (1, 2, 'delivered')")
        try db.execute(sql: "DELETE FROM messages WHERE id = 3")
    }
    try queue.close()
}
