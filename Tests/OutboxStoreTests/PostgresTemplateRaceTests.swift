import OutboxCore
import OutboxStore
@testable import OutboxStorePostgres
import PostgresNIO
import Testing
import TestSupport

/// What SQLite's single writer gives for free and PostgreSQL must earn with locks: several
/// daemons' transactions on the same templates and messages at once.
@Suite("PostgreSQL templates and claims under concurrency", .enabled(if: TestPostgres.available, Comment(rawValue: TestPostgres.skipReason)))
struct PostgresTemplateRaceTests {
    let dir = TempDir()

    func pair() async throws -> (PostgresOutboxStore, PostgresOutboxStore) {
        let db = StoreFactory(.postgresql, dir)
        return (try #require(try await db.open() as? PostgresOutboxStore), try #require(try await db.open() as? PostgresOutboxStore))
    }

    @Test("daemons syncing one channel's catalog at once all succeed, and the catalog is whole")
    func concurrentSyncs() async throws {
        let (a, b) = try await pair()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<6 {
                let store = i % 2 == 0 ? a : b
                group.addTask { try await store.replaceCatalog(channel: "main", specs: TemplateStoreTests.specs, nowMillis: Int64(i)) }
            }
            try await group.waitForAll()
        }
        #expect(try await a.catalogs()["main"]?.count == 2)
        #expect(try await b.templates(channel: "main", nowMillis: 10).map(\.spec.name) == ["order_update", "spring_sale"])
    }

    @Test("a claim leaves a message that another daemon cancelled (or failed, or held) after the claim read it")
    func claimRechecksRows() async throws {
        let (a, b) = try await pair()
        let id = try #require(try await a.submit([text("hello")], nowMillis: 0).first.flatMap { if case .created(let id) = $0 { id } else { nil } })
        // b locks the row first; then a's claim reads it as queued and waits to mark it; b
        // cancels it and commits; the claim must see that and leave it.
        let (locked, lockedNow) = AsyncStream<Void>.makeStream()
        let claimed = try await withThrowingTaskGroup(of: [ClaimedMessage]?.self) { group in
            group.addTask {
                for await _ in locked { break }
                return try await a.claim(channel: "main", nowMillis: 10, limit: 10, rules: lax, reach: nil)
            }
            group.addTask {
                try await b.write { conn in
                    try await conn.exec("SELECT id FROM messages WHERE id = \(id) FOR UPDATE", logger: b.logger)
                    lockedNow.yield()
                    try await waitUntilBlocked(conn, logger: b.logger)
                    try await conn.exec("UPDATE messages SET state = 'cancelled', updated_at = 5 WHERE id = \(id)", logger: b.logger)
                }
                return nil
            }
            var out: [ClaimedMessage] = []
            for try await result in group { if let result { out = result } }
            return out
        }
        #expect(claimed.isEmpty)
        #expect(try await a.timeline(id: id)?.message.state == .cancelled, "the cancel stands")
    }

    /// Waits (bounded) until another backend waits for a lock this connection's transaction holds.
    func waitUntilBlocked(_ conn: PostgresConnection, logger: Logger) async throws {
        for _ in 0..<500 {
            let blocked = try await conn.value("""
                SELECT count(*) FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))
                """, as: Int.self, logger: logger) ?? 0
            if blocked > 0 { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the claim never waited for the row lock")
    }
}
