import OutboxCore
import OutboxStore
import Testing
import TestSupport

/// The store acting on failure facts: failed statuses by class, the spam hold, unreachable
/// numbers, aliases and pricing.
@Suite("Failure facts in the store")
struct FailureFactsStoreTests {
    let dir = TempDir()
    var rules: RecipientRules {
        var r = RecipientRules()
        r.enforceWindow = false
        r.pairIntervalMillis = 0
        return r
    }

    /// Submits, claims and records one accepted send per message; returns their wamids.
    func sendAll(_ store: OutboxStore, _ subs: [Submission], at: Int64 = 10) async throws -> [ClaimedMessage] {
        _ = try await store.submit(subs, nowMillis: 0)
        let claimed = try await store.claim(channel: "main", nowMillis: at, limit: 100, rules: rules)
        try await store.record(claimed.map {
            AttemptRecord(message: $0, startedMillis: at, latencyMillis: 1, result: .accepted(wamid: "wamid.\($0.id)", messageStatus: nil),
                          decision: .sent(wamid: "wamid.\($0.id)"))
        }, nowMillis: at)
        return claimed
    }

    func failed(_ wamid: String, code: Int, meaning: ErrorMeaning, at: Int64) -> StatusReport {
        StatusReport(wamid: wamid, status: "failed", timestampMillis: at, callbackData: nil,
                     error: APIFailure(httpStatus: nil, code: code, title: "t\(code)", details: nil), meaning: meaning)
    }

    @Test("a channel-class failure by status pauses the channel, keeps its queue, and fails only the message that drew it", arguments: StoreEngine.all)
    func channelPauseByStatus(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        let sent = try await sendAll(store, [text("a", to: "+4915100000001")])
        _ = try await store.submit((2...5).map { text("q", to: "+491510000000\($0)") }, nowMillis: 20)
        let effects = try await store.applyInbox([ProcessedInbox(id: 0, statuses: [failed("wamid.\(sent[0].id)", code: 131042, meaning: .channel, at: 30)])],
                                                 nowMillis: 40)
        let pause = try #require(effects.failures.pauses["main"])
        #expect(pause.reason.contains("131042") && pause.untilMillis == nil)
        #expect(effects.moved.contains("main"))
        #expect(try await store.pauses()["main"]?.reason == pause.reason, "stored: it survives a restart")
        #expect(try await store.timeline(id: sent[0].id)?.message.state == .failed)
        #expect(try await store.channelCounts()["main"]?.queued == 4, "the queue is kept")
    }

    @Test("a spam limit holds normal and bulk traffic; high priority goes; a repeat holds everything, longer", arguments: StoreEngine.all)
    func spamHold(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        let sent = try await sendAll(store, [text("a", to: "+4915100000001")], at: 10)
        let spam = ErrorMeaning(.retrySlow, [.spamRestriction])
        let effects = try await store.applyInbox([ProcessedInbox(id: 0, statuses: [failed("wamid.\(sent[0].id)", code: 131048, meaning: spam, at: 100)])],
                                                 nowMillis: 100)
        let hold = try #require(effects.failures.spamHolds["main"])
        #expect(hold.level == 1 && hold.untilMillis == 100 + 15 * 60_000)
        #expect(effects.failures.throttled == ["main"])
        _ = try await store.submit([text("bulk", to: "+4915100000002", priority: .bulk), text("normal", to: "+4915100000003"),
                                    text("high", to: "+4915100000004", priority: .high)], nowMillis: 200)
        let claimed = try await store.claim(channel: "main", nowMillis: 300, limit: 10, rules: rules)
        #expect(claimed.map(\.recipient) == ["+4915100000004"], "only high priority goes during a first hold")
        #expect(try await store.nextDue(channel: "main") == hold.untilMillis, "the held ones are due when the hold ends")
        #expect(try await store.spamHolds(nowMillis: 300)["main"]?.level == 1)

        // The high-priority send meets the limit again: it repeated, so everything waits, for an hour.
        try await store.record([AttemptRecord(message: claimed[0], startedMillis: 300, latencyMillis: 5,
                                              result: .failed(APIFailure(httpStatus: 400, code: 131048, title: "Spam rate limit hit", details: nil), spam, retryAfterMillis: nil),
                                              decision: .retry(dueMillis: 2_000))], nowMillis: 305)
        let second = try #require(try await store.spamHolds(nowMillis: 400)["main"])
        #expect(second.level == 2 && second.untilMillis == 305 + 60 * 60_000)
        #expect(try await store.claim(channel: "main", nowMillis: 3_000, limit: 10, rules: rules).isEmpty)
        let after = try await store.claim(channel: "main", nowMillis: second.untilMillis, limit: 10, rules: rules)
        #expect(Set(after.map(\.recipient)) == ["+4915100000002", "+4915100000003", "+4915100000004"])

        // An operator's resume lifts the hold.
        #expect(try await store.resume(channel: "main", liftingSpamHoldAt: 5_000, nowMillis: 5_000))
        #expect(try await store.spamHolds(nowMillis: 5_000).isEmpty)
    }

    @Test("after a 131026 later messages to that number fail without a request; a message from them clears it", arguments: StoreEngine.all)
    func unreachable(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        let sent = try await sendAll(store, [text("a", to: "+4915100000001")])
        _ = try await store.applyInbox([ProcessedInbox(id: 0, statuses: [failed("wamid.\(sent[0].id)", code: 131026,
                                                                                  meaning: ErrorMeaning(.permanent, [.recipientUnreachable]), at: 50)])], nowMillis: 60)
        _ = try await store.submit([text("later", to: "+4915100000001"), text("other", to: "+4915100000002")], nowMillis: 70)
        let claimed = try await store.claim(channel: "main", nowMillis: 80, limit: 10, rules: rules)
        #expect(claimed.map(\.recipient) == ["+4915100000002"])
        let later = try #require(try await store.list(MessageFilter(state: .failed)).messages.first { $0.recipient == "+4915100000001" && $0.id != sent[0].id })
        #expect(later.lastError?.hasPrefix("recipient_unreachable") == true)
        #expect(try await store.timeline(id: later.id)?.attempts.isEmpty == true, "no request was spent")

        _ = try await store.applyInbox([ProcessedInbox(id: 0, inbound: [InboundReport(channel: "main", recipient: "+4915100000001", timestampMillis: 90)])],
                                       nowMillis: 90)
        _ = try await store.submit([text("after they wrote", to: "+4915100000001")], nowMillis: 95)
        #expect(try await store.claim(channel: "main", nowMillis: 100, limit: 10, rules: rules).map(\.recipient) == ["+4915100000001"])
    }

    @Test("an answer's other wa_id is an alias: a reply from it opens the window of the number sent to", arguments: StoreEngine.all)
    func alias(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        _ = try await store.submit([text("oi", to: "+5511987654321")], nowMillis: 0)
        let claimed = try await store.claim(channel: "main", nowMillis: 10, limit: 1, rules: rules)
        try await store.record([AttemptRecord(message: claimed[0], startedMillis: 10, latencyMillis: 1,
                                              result: .accepted(wamid: "w1", messageStatus: "held_for_quality_assessment", waID: "551187654321"),
                                              decision: .sent(wamid: "w1"))], nowMillis: 11)
        let attempt = try #require(try await store.timeline(id: claimed[0].id)?.attempts.first)
        #expect(attempt.messageStatus == "held_for_quality_assessment" && attempt.waID == "551187654321")
        _ = try await store.applyInbox([ProcessedInbox(id: 0, inbound: [InboundReport(channel: "main", recipient: "+551187654321", timestampMillis: 500)])],
                                       nowMillis: 500)
        #expect(try await store.lastInbound(channel: "main", recipient: "+5511987654321") == 500)
    }

    @Test("pricing is kept with the status and each message is counted once per category", arguments: StoreEngine.all)
    func pricing(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        let sent = try await sendAll(store, [text("a", to: "+4915100000001"), text("b", to: "+4915100000002")])
        let utility = Pricing(billable: true, model: "PMP", type: "regular", category: "utility")
        let service = Pricing(billable: false, model: "PMP", type: "free_customer_service", category: "service")
        let effects = try await store.applyInbox([ProcessedInbox(id: 0, statuses: [
            StatusReport(wamid: "wamid.\(sent[0].id)", status: "sent", timestampMillis: 100, callbackData: nil, error: nil, pricing: utility,
                         conversation: Conversation(id: "c1", originType: "utility", expiresMillis: nil)),
            StatusReport(wamid: "wamid.\(sent[0].id)", status: "delivered", timestampMillis: 110, callbackData: nil, error: nil, pricing: utility),
            StatusReport(wamid: "wamid.\(sent[1].id)", status: "sent", timestampMillis: 120, callbackData: nil, error: nil, pricing: service),
        ])], nowMillis: 200)
        #expect(effects.failures.priced.count == 2)
        let today = try await store.pricedToday(nowMillis: 200)["main"]
        #expect(today?["utility"]?.messages == 1 && today?["utility"]?.billable == 1)
        #expect(today?["service"]?.messages == 1 && today?["service"]?.billable == 0)
        let events = try #require(try await store.timeline(id: sent[0].id)?.events)
        #expect(events.first { $0.status == "sent" }?.pricing == utility)
        #expect(events.first { $0.status == "sent" }?.conversation?.id == "c1")
    }

    @Test("a BSUID recipient is stored and claimed like a number", arguments: StoreEngine.all)
    func bsuid(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        let sub = try Submission(channel: "main", recipient: Recipient(bsuid: "US.13491208655302741918"),
                                 message: .object(["type": .string("text"), "text": .object(["body": .string("hi")])]), nowMillis: 0)
        _ = try await store.submit([sub], nowMillis: 0)
        #expect(try await store.claim(channel: "main", nowMillis: 10, limit: 1, rules: rules).map(\.recipient) == ["US.13491208655302741918"])
    }
}
