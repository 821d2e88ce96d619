import OutboxCore
import OutboxStore
import Testing
import TestSupport

func template(to: String, channel: String = "main", name: String = "order_update") -> Submission {
    try! Submission(channel: channel, to: to,
                    message: .object(["type": .string("template"), "template": .object(["name": .string(name), "language": .object(["code": .string("en")])])]),
                    nowMillis: 0)
}

@Suite("Messaging limit in the store")
struct ReachTests {
    let dir = TempDir()
    let day: Int64 = 86_400_000
    /// Window enforced (so the daemon can tell in-window recipients), no pacing.
    var rules: RecipientRules {
        var r = RecipientRules()
        r.pairIntervalMillis = 0
        return r
    }
    let two = MessagingLimit(portfolio: "acme", tier: 2, share: 1)

    @Test("templates outside the window reach new recipients until the budget is used; the rest wait, not fail", arguments: StoreEngine.all)
    func budgetWaits(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        _ = try await store.submit((1...3).map { template(to: "+491510000000\($0)") }, nowMillis: 0)
        let first = try await store.claim(channel: "main", nowMillis: 10, limit: 10, rules: rules, reach: two)
        #expect(first.map(\.recipient) == ["+4915100000001", "+4915100000002"])
        #expect(try await store.claim(channel: "main", nowMillis: 20, limit: 10, rules: rules, reach: two).isEmpty)
        #expect(try await store.channelCounts()["main"]?.queued == 1)
        // A recipient reached within 24 h costs nothing more (once its first request was answered).
        try await store.record(first.map { AttemptRecord(message: $0, startedMillis: 10, latencyMillis: 1, result: .accepted(wamid: "w\($0.id)", messageStatus: nil),
                                                          decision: .sent(wamid: "w\($0.id)")) }, nowMillis: 11)
        _ = try await store.submit([template(to: "+4915100000001")], nowMillis: 30)
        #expect(try await store.claim(channel: "main", nowMillis: 40, limit: 10, rules: rules, reach: two).map(\.recipient) == ["+4915100000001"])
        let use = try await store.reachUse(portfolios: ["acme"], nowMillis: 50)
        #expect(use["acme"]?.used == 2)
        #expect(use["acme"]?.nextFreeMillis == 10 + day)
        // 24 h after the first reach, places free up and the waiting message goes.
        let later = try await store.claim(channel: "main", nowMillis: 10 + day, limit: 10, rules: rules, reach: two)
        #expect(later.map(\.recipient) == ["+4915100000003"])
    }

    @Test("recipients inside their window, and free-form messages, do not count", arguments: StoreEngine.all)
    func windowDoesNotCount(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        try await store.applyInbox([ProcessedInbox(id: 0, inbound: [
            InboundReport(channel: "main", recipient: "+4915100000001", timestampMillis: 0),
            InboundReport(channel: "main", recipient: "+4915100000002", timestampMillis: 0),
        ])], nowMillis: 0)
        _ = try await store.submit([template(to: "+4915100000001"), text("hi", to: "+4915100000002"), template(to: "+4915100000003")], nowMillis: 0)
        let one = MessagingLimit(portfolio: "acme", tier: 1, share: 1)
        let claimed = try await store.claim(channel: "main", nowMillis: 10, limit: 10, rules: rules, reach: one)
        #expect(claimed.count == 3)
        #expect(try await store.reachUse(portfolios: ["acme"], nowMillis: 10)["acme"]?.used == 1)
        #expect(try await store.openWindows(nowMillis: 10, marginMillis: 600_000)["main"] == 2)
        #expect(try await store.openWindows(nowMillis: day, marginMillis: 600_000)["main"] == nil)
    }

    @Test("channels of one portfolio share its budget; the count survives a restart", arguments: StoreEngine.all)
    func shared(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let path = dir.file("a.db")
        do {
            let store = try await db.open()
            _ = try await store.submit([template(to: "+4915100000001", channel: "a"), template(to: "+4915100000002", channel: "b"),
                                        template(to: "+4915100000003", channel: "b")], nowMillis: 0)
            #expect(try await store.claim(channel: "a", nowMillis: 10, limit: 10, rules: rules, reach: two).count == 1)
        }
        let store = try await db.open()
        #expect(try await store.claim(channel: "b", nowMillis: 20, limit: 10, rules: rules, reach: two).map(\.recipient) == ["+4915100000002"])
        // Another portfolio has its own count.
        let other = MessagingLimit(portfolio: "other", tier: 2, share: 1)
        #expect(try await store.claim(channel: "b", nowMillis: 30, limit: 10, rules: rules, reach: other).map(\.recipient) == ["+4915100000003"])
    }

    @Test("a message waiting for the budget holds its recipient's later messages, in order", arguments: StoreEngine.all)
    func order(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        let zero = MessagingLimit(portfolio: "acme", tier: 1, share: 1)
        _ = try await store.submit([template(to: "+4915100000009")], nowMillis: 0)
        _ = try await store.claim(channel: "main", nowMillis: 1, limit: 10, rules: rules, reach: zero)
        _ = try await store.submit([template(to: "+4915100000001", name: "first"), template(to: "+4915100000001", name: "second")], nowMillis: 2)
        #expect(try await store.claim(channel: "main", nowMillis: 3, limit: 10, rules: rules, reach: zero).isEmpty)
        let next = try await store.claim(channel: "main", nowMillis: 1 + day, limit: 10, rules: rules, reach: zero)
        #expect(next.count == 1)
        #expect(next.first?.payload.contains("first") == true)
    }
}
