import OutboxCore
import OutboxStore
import Testing
import TestSupport

@Suite("Scheduling in the store")
struct SchedulingTests {
    let dir = TempDir()
    var rules: RecipientRules {
        var r = RecipientRules()
        r.enforceWindow = false
        r.pairIntervalMillis = 6_000
        return r
    }

    @Test("one message per recipient per pacing interval; a held recipient does not block others", arguments: StoreEngine.all)
    func pacing(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        // Given a recipient with 100 messages at the front of the queue, and 3 others behind
        _ = try await store.submit((0..<100).map { text("busy \($0)", to: "+4915100000001") }, nowMillis: 0)
        _ = try await store.submit((2...4).map { text("other", to: "+491510000000\($0)") }, nowMillis: 0)
        // When the dispatcher claims
        let first = try await store.claim(channel: "main", nowMillis: 10, limit: 50, rules: rules)
        // Then one of the busy recipient's goes, and the others are not held behind it
        #expect(first.map(\.recipient) == ["+4915100000001", "+4915100000002", "+4915100000003", "+4915100000004"])
        #expect(first[0].payload.contains("busy 0"))
        // And nothing more until the interval has passed
        #expect(try await store.claim(channel: "main", nowMillis: 5_000, limit: 50, rules: rules).isEmpty)
        // (Its request is still open: no second request while one is open, and no hold yet.)
        #expect(try await store.earliestHold(channel: "main", nowMillis: 5_000) == nil)
        // When the answer came at once, the interval counts from it
        try await store.record([AttemptRecord(message: first[0], startedMillis: 10, latencyMillis: 0, result: .accepted(wamid: "wamid.0", messageStatus: nil),
                                              decision: .sent(wamid: "wamid.0"), pairIntervalMillis: 6_000)], nowMillis: 10)
        #expect(try await store.earliestHold(channel: "main", nowMillis: 5_000) == 6_010)
        #expect(try await store.claim(channel: "main", nowMillis: 6_009, limit: 50, rules: rules).isEmpty)
        let next = try await store.claim(channel: "main", nowMillis: 6_010, limit: 50, rules: rules)
        #expect(next.map(\.recipient) == ["+4915100000001"])
        #expect(next[0].payload.contains("busy 1"))
    }

    @Test("a message waiting for a retry holds later messages to its recipient, and goes first", arguments: StoreEngine.all)
    func orderAfterRetry(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        var r = rules
        r.pairIntervalMillis = 0
        _ = try await store.submit([text("first", to: "+4915100000001"), text("second", to: "+4915100000001")], nowMillis: 0)
        let claimed = try await store.claim(channel: "main", nowMillis: 10, limit: 10, rules: r)
        #expect(claimed.count == 1)
        let f = APIFailure(httpStatus: 500, code: nil, title: "Internal Server Error", details: nil)
        try await store.record([AttemptRecord(message: claimed[0], startedMillis: 10, latencyMillis: 1,
                                              result: .failed(f, .retry, retryAfterMillis: nil), decision: .retry(dueMillis: 1_000))], nowMillis: 20)
        #expect(try await store.claim(channel: "main", nowMillis: 500, limit: 10, rules: r).isEmpty)
        let again = try await store.claim(channel: "main", nowMillis: 1_000, limit: 10, rules: r)
        #expect(again.map(\.payload).map { $0.contains("first") } == [true])
    }

    @Test("a free-form message to a closed window fails at claim time without a request; templates go", arguments: StoreEngine.all)
    func windowAtClaim(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        var r = rules
        r.enforceWindow = true
        let template = try Submission(channel: "main", to: "+4915100000002",
                                      message: .object(["type": .string("template"), "template": .object(["name": .string("t"), "language": .object(["code": .string("en")])])]),
                                      nowMillis: 0)
        let ids = try await store.submit([text("hello", to: "+4915100000001"), template], nowMillis: 0)
        let claimed = try await store.claim(channel: "main", nowMillis: 10, limit: 10, rules: r)
        #expect(claimed.map(\.type) == ["template"])
        guard case .created(let textID) = ids[0] else { Issue.record("not created"); return }
        let t = try #require(try await store.timeline(id: textID))
        #expect(t.message.state == .failed)
        #expect(t.message.lastError?.hasPrefix("window_closed") == true)
        #expect(t.attempts.isEmpty)
    }
}

@Suite("Scheduling: one request per recipient at a time")
struct InFlightTests {
    let dir = TempDir()

    @Test("a recipient with a request still open gets no second one, even after the pacing interval", arguments: StoreEngine.all)
    func oneAtATime(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        var r = RecipientRules()
        r.enforceWindow = false
        r.pairIntervalMillis = 1_000
        _ = try await store.submit([text("first", to: "+4915100000001"), text("second", to: "+4915100000001"), text("other", to: "+4915100000002")], nowMillis: 0)
        let first = try await store.claim(channel: "main", nowMillis: 10, limit: 10, rules: r)
        #expect(first.count == 2)
        // The first request is slow: the interval passes while it is open.
        #expect(try await store.claim(channel: "main", nowMillis: 5_000, limit: 10, rules: r).isEmpty)
        let sent = try #require(first.first { $0.recipient == "+4915100000001" })
        try await store.record([AttemptRecord(message: sent, startedMillis: 10, latencyMillis: 5_000, result: .accepted(wamid: "wamid.1", messageStatus: nil),
                                              decision: .sent(wamid: "wamid.1"), pairIntervalMillis: 1_000)], nowMillis: 5_010)
        // Paced from the answer, then the second goes.
        #expect(try await store.claim(channel: "main", nowMillis: 5_500, limit: 10, rules: r).isEmpty)
        #expect(try await store.claim(channel: "main", nowMillis: 6_010, limit: 10, rules: r).map(\.payload).map { $0.contains("second") } == [true])
    }
}
