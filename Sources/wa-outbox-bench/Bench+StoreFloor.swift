import Foundation
import GRDB
import OutboxStore

extension Bench {
    /// The store's floor for rows the daemon stored: `sqlite3` itself inserts the same rows
    /// again into an empty outbox of the same schema (every index, CHECK and partial index),
    /// with their `accepted` events (the statement the writer runs) and the same durability
    /// (WAL, synchronous=FULL), in transactions of `batch` rows, as the daemon's writer commits
    /// them. No daemon, no Swift: what the schema costs. The bare-table ceilings beside it
    /// (`.import`, raw inserts) show what the schema itself costs against no schema at all.
    ///
    /// - Parameters:
    ///   - outbox: the daemon's database, read (attached read-only) for the rows.
    ///   - filter: which of its messages, as an SQL condition on `messages` (bench-made text).
    func storeFloor(outbox: String, filter: String, batch: Int = 1_000, folder: String, log: String) throws -> (rows: Int, measured: Measured) {
        let ids = try Self.readOutbox(outbox) { db in try Int64.fetchAll(db, sql: "SELECT id FROM messages WHERE \(filter) ORDER BY id") }
        guard !ids.isEmpty else { throw BenchError("store floor: no rows matched \(filter)") }
        let columns = "channel, recipient, type, payload, idempotency_key, priority, state, created_at, updated_at, due_at, expires_at, import_id, held_by, held_reason, held_due_at"
        var script = ""
        var next: Int64 = 1
        for start in stride(from: 0, to: ids.count, by: batch) {
            let slice = ids[start..<min(start + batch, ids.count)]
            // The rows of this transaction, by id as the writer inserts them; in the empty copy
            // they get ids next ... next + count - 1, which the events statement takes (its
            // unqualified tables are main's: SQLite looks there before an attached database).
            script += """
                BEGIN;
                INSERT INTO main.messages (\(columns))
                SELECT channel, recipient, type, payload, idempotency_key, priority, 'queued', created_at, created_at, due_at, expires_at, import_id, held_by, held_reason, held_due_at
                FROM src.messages WHERE id BETWEEN \(slice.first!) AND \(slice.last!) AND \(filter) ORDER BY id
                ON CONFLICT (channel, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING;
                \(SQLiteOutboxStore.acceptedEventsSQL.replacingOccurrences(of: "BETWEEN ? AND ?", with: "BETWEEN \(next) AND \(next + Int64(slice.count) - 1)"));
                COMMIT;

                """
            next += Int64(slice.count)
        }
        // Every row and its event went in: the floor did the writer's whole work.
        let m = try runFloor(outbox: outbox, transactions: script, folder: folder, log: log, what: "store floor") { db in
            let (stored, events) = (try Int.fetchOne(db, sql: "SELECT count(*) FROM messages") ?? 0, try Int.fetchOne(db, sql: "SELECT count(*) FROM event_log") ?? 0)
            return stored == ids.count && events == ids.count ? nil : "\(stored) rows and \(events) events of \(ids.count)"
        }
        return (ids.count, m)
    }
}

extension Bench {
    /// The store's floor for an import's rows as the daemon stages them: `sqlite3` inserts the
    /// rows still staged (`staged_rows` of `importID`) again into an empty outbox of the same
    /// schema, WAL, synchronous=FULL, `batch` rows per transaction as the writer commits them.
    /// Rows the expander already made messages are not in it (`rows` says how many were).
    func stagingFloor(outbox: String, importID: String, batch: Int = 1_000, folder: String, log: String) throws -> (rows: Int, measured: Measured) {
        let (seqs, rows) = try Self.readOutbox(outbox) { db in
            let seqs = try Int64.fetchAll(db, sql: "SELECT seq FROM staged_imports WHERE import_id = ?", arguments: [importID])
            return (seqs, try seqs.map { seq in try Int64.fetchAll(db, sql: "SELECT row FROM staged_rows WHERE seq = ? ORDER BY row", arguments: [seq]) })
        }
        let total = rows.reduce(0) { $0 + $1.count }
        guard total > 0 else { throw BenchError("staging floor: nothing of import \(importID) is staged") }
        var script = ""
        for (seq, rowsOfImport) in zip(seqs, rows) {
            script += "INSERT INTO main.staged_imports SELECT * FROM src.staged_imports WHERE seq = \(seq);\n"
            for start in stride(from: 0, to: rowsOfImport.count, by: batch) {
                let slice = rowsOfImport[start..<min(start + batch, rowsOfImport.count)]
                script += """
                    BEGIN;
                    INSERT INTO main.staged_rows SELECT * FROM src.staged_rows WHERE seq = \(seq) AND row BETWEEN \(slice.first!) AND \(slice.last!) ORDER BY row
                    ON CONFLICT (seq, row) DO NOTHING;
                    UPDATE main.staged_imports SET staged = staged + \(slice.count) WHERE seq = \(seq);
                    COMMIT;

                    """
            }
        }
        let m = try runFloor(outbox: outbox, transactions: script, folder: folder, log: log, what: "staging floor") { db in
            let stored = try Int.fetchOne(db, sql: "SELECT count(*) FROM staged_rows") ?? 0
            return stored == total ? nil : "\(stored) rows of \(total)"
        }
        return (total, m)
    }
}

extension Bench {
    /// Reads the daemon's database (read-only) for a floor's rows.
    static func readOutbox<T>(_ outbox: String, _ body: (Database) throws -> T) throws -> T {
        var c = Configuration()
        c.readonly = true
        let source = try DatabaseQueue(path: outbox, configuration: c)
        defer { try? source.close() }
        return try source.read(body)
    }

    /// Runs `transactions` with `sqlite3` alone on an empty outbox of the daemon's schema
    /// (every index, CHECK and partial index, as the migrations left it), WAL and
    /// synchronous=FULL, the daemon's database attached as `src`; `check` reads what the floor
    /// stored and names what is missing (nil: all of it). Returns the sqlite3 run's measure.
    func runFloor(outbox: String, transactions: String, folder: String, log: String, what: String,
                  check: (Database) throws -> String?) throws -> Measured {
        // The schema less SQLite's own tables (made as needed).
        let schema = try Self.readOutbox(outbox) { db in
            try String.fetchAll(db, sql: """
                SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type = 'index', rowid
                """)
        }
        let floorDB = "\(folder)/\(log).db"
        let scriptPath = "\(folder)/\(log).sql"
        func cleanUp() {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: floorDB + suffix) }
            try? FileManager.default.removeItem(atPath: scriptPath)
        }
        cleanUp()
        // Deferred transactions: IMMEDIATE would also lock the attached outbox, which its daemon is writing.
        let script = ".timeout 10000\nPRAGMA journal_mode = WAL;\nPRAGMA synchronous = FULL;\n"
            + schema.map { $0 + ";\n" }.joined() + "ATTACH '\(outbox)' AS src;\n" + transactions
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        guard let sqlite = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw BenchError("sqlite3 is not installed (scripts/install-deps installs it)")
        }
        let m = try runMeasuredBlocking(sqlite, ["-bail", floorDB, ".read \(scriptPath)"], in: folder, log: log)
        guard m.status == 0 else {
            let err = (try? String(contentsOfFile: "\(folder)/\(log).err", encoding: .utf8)) ?? ""
            throw BenchError("\(what): sqlite3 exited \(m.status): \(err.suffix(400))")
        }
        if let missing = try Self.readOutbox(floorDB, check) { throw BenchError("\(what): \(missing) in \(floorDB)") }
        cleanUp()
        return m
    }
}
