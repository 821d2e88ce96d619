import OutboxCore
import OutboxStore
import OutboxStorePostgres
import Testing
import TestSupport

/// Channel leases on PostgreSQL with two daemons' stores on one database: compare-and-set
/// acquisition, fencing of claims by token, and a takeover that turns the old owner's
/// in-flight messages into unknown outcomes in the same transaction.
@Suite("PostgreSQL channel leases", .enabled(if: TestPostgres.available, Comment(rawValue: TestPostgres.skipReason)))
struct PostgresLeaseTests {
    let dir = TempDir()

    func pair() async throws -> (PostgresOutboxStore, PostgresOutboxStore) {
        let url = try PostgresURL(parsing: try #require(TestPostgres.url))
        let schema = TestPostgres.freshSchema()
        return (try await PostgresOutboxStore.open(url, schema: schema), try await PostgresOutboxStore.open(url, schema: schema))
    }

    @Test("a free lease goes to one daemon; a stale compare-and-set changes nothing")
    func acquire() async throws {
        let (a, b) = try await pair()
        let seen = try #require(try await a.observeLeases(["main"])["main"])
        #expect(seen.owner == nil && seen.token == 0)
        let token = try await a.acquireLease(channel: "main", daemon: "a", expecting: seen, mps: 80, nowMillis: 1, unknownWaitMillis: 1_000)
        #expect(token == 1)
        #expect(try await b.acquireLease(channel: "main", daemon: "b", expecting: seen, mps: 80, nowMillis: 2, unknownWaitMillis: 1_000) == nil)
        #expect(try await b.observeLeases(["main"])["main"] == LeaseObservation(owner: "a", token: 1, renewals: 1))
        #expect(try await a.renewLeases(["main": 1], daemon: "a", nowMillis: 3) == ["main"])
        #expect(try await b.renewLeases(["main": 1], daemon: "b", nowMillis: 3).isEmpty)
    }

    @Test("a takeover fences the old owner out and makes its in-flight message an unknown outcome; its late answer still settles it")
    func takeover() async throws {
        let (a, b) = try await pair()
        _ = try await a.submit([text("one", to: "+4915100000001"), text("two", to: "+4915100000002")], nowMillis: 0)
        let free = try #require(try await a.observeLeases(["main"])["main"])
        let t1 = try #require(try await a.acquireLease(channel: "main", daemon: "a", expecting: free, mps: 80, nowMillis: 1, unknownWaitMillis: 5_000))
        let inFlight = try await a.claim(channel: "main", nowMillis: 10, limit: 1, rules: lax, reach: nil, fence: ("a", t1))
        #expect(inFlight.count == 1)
        // A stops renewing; B saw the row unchanged for a ttl and takes it over.
        let stale = try #require(try await b.observeLeases(["main"])["main"])
        let t2 = try #require(try await b.acquireLease(channel: "main", daemon: "b", expecting: stale, mps: 80, nowMillis: 20, unknownWaitMillis: 5_000))
        #expect(t2 == t1 + 1)
        let t = try #require(try await b.timeline(id: inFlight[0].id))
        #expect(t.message.state == .sending && t.message.awaitingSettlement && t.message.dueMillis == 5_020)
        #expect(t.attempts.map(\.outcome) == [.unknownOutcome])
        // A, woken, can claim nothing more and has lost its renewal.
        await #expect(throws: StoreError.self) { try await a.claim(channel: "main", nowMillis: 30, limit: 5, rules: lax, reach: nil, fence: ("a", t1)) }
        #expect(try await a.renewLeases(["main": t1], daemon: "a", nowMillis: 30).isEmpty)
        // B sends the other message, and never the one whose outcome is unknown.
        let mine = try await b.claim(channel: "main", nowMillis: 40, limit: 5, rules: lax, reach: nil, fence: ("b", t2))
        #expect(mine.map(\.recipient) == ["+4915100000002"])
        // A's late answer for its claim settles it as sent, as a status webhook would.
        try await a.record([AttemptRecord(message: inFlight[0], startedMillis: 10, latencyMillis: 40, result: .accepted(wamid: "wamid.late", messageStatus: nil),
                                          decision: .sent(wamid: "wamid.late"))], nowMillis: 50)
        #expect(try await b.timeline(id: inFlight[0].id)?.message.state == .sent)
    }

    @Test("a released lease is taken at once, with nothing to settle")
    func release() async throws {
        let (a, b) = try await pair()
        let free = try #require(try await a.observeLeases(["main"])["main"])
        let t1 = try #require(try await a.acquireLease(channel: "main", daemon: "a", expecting: free, mps: nil, nowMillis: 1, unknownWaitMillis: 1_000))
        try await a.releaseLease(channel: "main", daemon: "a", token: t1)
        let seen = try #require(try await b.observeLeases(["main"])["main"])
        #expect(seen.owner == nil)
        var contender = LeaseContender(me: "b", timings: LeaseTimings(ttlMillis: 2_000, marginMillis: 600))
        #expect(contender.observe(seen, nowMillis: 0) == .acquire(expecting: seen))
        #expect(try await b.acquireLease(channel: "main", daemon: "b", expecting: seen, mps: nil, nowMillis: 2, unknownWaitMillis: 1_000) == t1 + 1)
        // The old token releases nothing now.
        try await a.releaseLease(channel: "main", daemon: "a", token: t1)
        #expect(try await b.observeLeases(["main"])["main"]?.owner == "b")
    }
}
