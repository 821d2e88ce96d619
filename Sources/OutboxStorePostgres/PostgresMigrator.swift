import Foundation
import Logging
import OutboxMigrationsPostgres
import OutboxStore
import PostgresNIO

/// Applies the PostgreSQL migration line. Each file runs in its own transaction that first
/// takes a transaction-scoped advisory lock, so daemons starting together apply each file
/// once: the second waits for the first to commit, then sees the file recorded and skips it.
enum PostgresMigrator {
    /// The advisory lock of migrations: the pair (this constant, the schema's name), so daemons
    /// of one outbox take turns while outboxes in other schemas of the database migrate at once.
    static let lockKey: Int32 = 0x7761_6F6D

    static func migrate(_ client: PostgresClient, schema: String?, logger: Logger) async throws {
        try await client.withConnection { conn in
            for migration in PostgresMigrations.all {
                try await conn.withTransaction(logger: logger) { conn in
                    // Another daemon may be applying a long migration: wait for it longer than the
                    // session's lock_timeout allows a claim to wait.
                    try await conn.exec("SET LOCAL lock_timeout = '120s'", logger: logger)
                    if let schema {
                        try await conn.exec("SELECT pg_advisory_xact_lock(\(lockKey), hashtext(\(schema)))", logger: logger)
                    } else {
                        try await conn.exec("SELECT pg_advisory_xact_lock(\(lockKey), hashtext(current_schema()))", logger: logger)
                    }
                    if let schema {
                        try await conn.exec(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(quoteIdentifier(schema))"), logger: logger)
                    }
                    // Under the lock: CREATE TABLE IF NOT EXISTS itself races on the catalog.
                    try await conn.exec("""
                        CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
                        """, logger: logger)
                    let done = try await conn.query("SELECT 1 FROM schema_migrations WHERE name = \(migration.name)", logger: logger).collect()
                    guard done.isEmpty else { return }
                    logger.info("applying PostgreSQL migration", metadata: ["migration": "\(migration.name)"])
                    for statement in statements(migration.sql) {
                        try await conn.exec(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await conn.exec("INSERT INTO schema_migrations (name) VALUES (\(migration.name))", logger: logger)
                }
            }
        }
    }

    /// The statements of a migration file, one per query (the extended protocol takes one at a
    /// time): `--` comments dropped, split at each `;` outside a `$$`-quoted function body. So a
    /// migration keeps `;` and `--` out of its string literals (migrations/postgresql/README.md).
    static func statements(_ sql: String) -> [String] {
        let code = sql.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.range(of: "--").map { String(line[..<$0.lowerBound]) } ?? String(line)
        }.joined(separator: "\n")
        var out: [String] = [], current = "", quoted = false
        var rest = Substring(code)
        while let c = rest.first {
            if rest.hasPrefix("$$") {
                quoted.toggle()
                current += "$$"
                rest = rest.dropFirst(2)
                continue
            }
            rest = rest.dropFirst()
            if c == ";" && !quoted {
                out.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        out.append(current)
        return out.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }
}
