import Foundation
import Logging
import OutboxCore
import OutboxStore
import OutboxStorePostgres
import PostgresNIO
import Testing
import TestSupport

/// The event log on PostgreSQL without a lock across writers' transactions (migration 0003): a
/// daemon frozen mid-transaction holds no other writer up, the feed still never skips an event
/// that commits late, and a daemon taking a frozen one's channels over can end its sessions.
@Suite("PostgreSQL event publication", .enabled(if: TestPostgres.available, Comment(rawValue: TestPostgres.skipReason)))
struct PostgresEventPublicationTests {
    let url: PostgresURL
    let schema = TestPostgres.freshSchema()
    let logger = Logger(label: "test.raw")

    init() throws { url = try PostgresURL(parsing: try #require(TestPostgres.url)) }

    /// A bare session on the store's schema: the frozen daemon's, whose transaction the test holds open.
    func rawSession(applicationName: String) async throws -> PostgresConnection {
        var config = PostgresConnection.Configuration(unixSocketPath: try #require(url.socketPath), username: url.user, password: url.password?.value,
                                                      database: url.database)
        config.options.additionalStartupParameters = [("search_path", schema), ("application_name", applicationName)]
        return try await PostgresConnection.connect(configuration: config, id: 1, logger: logger)
    }

    /// Runs `body` with a bound: a writer that waits on the frozen transaction fails the test instead of hanging it.
    func within<T: Sendable>(_ seconds: Int, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask { try await Task.sleep(for: .seconds(seconds)); return nil }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw StoreError.unavailable("took over \(seconds) s") }
            return value
        }
    }

    @Test("a writer frozen mid-transaction holds no other writer up, and its event, committed late, is not skipped")
    func frozenWriter() async throws {
        let store = try await PostgresOutboxStore.open(url, schema: schema)
        defer { store.close() }
        let frozen = try await rawSession(applicationName: "frozen")
        // The frozen daemon wrote an event first (the lower sequence number) and stopped before its commit.
        try await frozen.query("BEGIN", logger: logger)
        try await frozen.query("INSERT INTO event_pending (at, type, channel, data) VALUES (1, 'paused', 'main', '{\"reason\":\"frozen\"}')", logger: logger)

        // Every other writer goes on (before migration 0003 each waited for the frozen one's lock).
        let accepted = try await within(4) { try await store.submit([text("one")], nowMillis: 10) }
        try await within(4) { try await store.appendEvent(.rateChanged, channel: "main", messageID: nil, data: ["mps": .int(40)], nowMillis: 20) }
        let first = try await store.events(after: 0, limit: 100, filter: EventFilter(), scanLimit: 1_000)
        #expect(first.events.map(\.type) == ["accepted", "rate_changed"])
        #expect(accepted.count == 1 && first.events.first?.messageID != nil)

        // It wakes and commits: the event is published after those a reader has seen, not below its cursor.
        try await frozen.query("COMMIT", logger: logger)
        #expect(await store.publishEvents() == 1)
        let next = try await store.events(after: first.nextCursor, limit: 100, filter: EventFilter(), scanLimit: 1_000)
        #expect(next.events.map(\.type) == ["paused"])
        #expect(try #require(next.events.first?.id) > first.nextCursor)
        try await frozen.close()
    }

    @Test("events a daemon committed but did not publish are published by another daemon within seconds")
    func leftovers() async throws {
        let store = try await PostgresOutboxStore.open(url, schema: schema)
        defer { store.close() }
        let dead = try await rawSession(applicationName: "dead")
        try await dead.query("INSERT INTO event_pending (at, type, channel, data) VALUES (1, 'resumed', 'main', '{}')", logger: logger)
        try await dead.close()
        #expect(try await eventually(timeoutSeconds: 10) {
            try await store.events(after: 0, limit: 10, filter: EventFilter(), scanLimit: 100).events.map(\.type) == ["resumed"]
        })
    }

    @Test("a daemon taking a frozen one's channel over ends its sessions, so the rows it locked are free at once")
    func fenceOut() async throws {
        let store = try await PostgresOutboxStore.open(url, schema: schema, daemonID: "d2:2:b")
        defer { store.close() }
        guard case .created(let id) = try await store.submit([text("one")], nowMillis: 0).first else { Issue.record("not stored"); return }
        let frozen = try await rawSession(applicationName: "d1:1:a wa-outbox")
        let bystander = try await rawSession(applicationName: "d1:1:ab wa-outbox")
        try await frozen.query("BEGIN", logger: logger)
        try await frozen.query("SELECT id FROM messages WHERE id = \(id) FOR UPDATE", logger: logger)

        #expect(await store.fenceOut(daemon: "d1:1:a") == 1)
        // The row lock went with the session: a cancel of that message goes through at once.
        let cancelled = try await within(4) { try await store.cancel(id: id, nowMillis: 5) }
        #expect(cancelled.cancelled)
        // Its connection is gone (postgres-nio 1.33.2 hangs a query sent on a closed connection, so none is).
        #expect(try await eventually(timeoutSeconds: 5) { frozen.isClosed })
        // A daemon whose id merely starts the same is not touched.
        _ = try await bystander.query("SELECT 1", logger: logger)
        try await bystander.close()
        try? await frozen.close()
    }
}
