import OutboxCore
import OutboxStore
import Testing
import TestSupport

/// Template and opt-out facts that arrive by failed status rather than by answer or webhook
/// field (131050, 131049, 132015, 132016), the queued messages' own views of a hold, and the
/// size stats shows: on each engine, so PostgreSQL keeps every rule SQLite has.
@Suite("Template and opt-out facts by status, on each engine")
struct TemplateFactsStoreTests {
    let dir = TempDir()
    static let hour: Int64 = 3_600_000
    static let customer = "+4915112345678"

    func template(_ name: String, to: String = customer, category: String? = nil) throws -> Submission {
        let json = #"{"type":"template","template":{"name":"\#(name)","language":{"code":"en_US"},"components":[]}}"#
        var s = try Submission(channel: "main", to: to, message: try JSONParser.parse(Array(json.utf8)), nowMillis: 0)
        s.templateCategory = category
        return s
    }

    func ids(_ results: [SubmitResult]) -> [Int64] {
        results.compactMap { if case .created(let id) = $0 { id } else { nil } }
    }

    func message(_ store: OutboxStore, _ id: Int64) async throws -> MessageRecord {
        try #require(try await store.timeline(id: id)).message
    }

    /// Given a synced catalog, one marketing template to `to` sent (accepted), and more queued.
    /// - Returns: the sent message's wamid and the queued ids (marketing, then utility).
    func sentAndQueued(_ store: OutboxStore, to: String = customer) async throws -> (wamid: String, queued: [Int64]) {
        try await store.replaceCatalog(channel: "main", specs: TemplateStoreTests.specs, nowMillis: 0)
        _ = try await store.submit([try template("spring_sale", to: to, category: "marketing")], nowMillis: 0)
        let claimed = try await store.claim(channel: "main", nowMillis: 10, limit: 1, rules: lax)
        let c = try #require(claimed.first)
        try await store.record([AttemptRecord(message: c, startedMillis: 10, latencyMillis: 1, result: .accepted(wamid: "wamid.\(c.id)", messageStatus: nil),
                                              decision: .sent(wamid: "wamid.\(c.id)"))], nowMillis: 11)
        let queued = ids(try await store.submit([try template("spring_sale", to: to, category: "marketing"), try template("order_update", to: to, category: "utility")],
                                                nowMillis: 20))
        return ("wamid.\(c.id)", queued)
    }

    func failed(_ wamid: String, code: Int, _ meaning: ErrorMeaning, at: Int64, callbackData: String? = nil) -> ProcessedInbox {
        ProcessedInbox(id: 0, statuses: [StatusReport(wamid: wamid, status: "failed", timestampMillis: at, callbackData: callbackData,
                                                      error: APIFailure(httpStatus: nil, code: code, title: "t\(code)", details: nil), meaning: meaning)])
    }

    @Test("a failed status with 131050 puts the customer on the list and fails their queued marketing, not their utility", arguments: StoreEngine.all)
    func optedOutByStatus(engine: StoreEngine) async throws {
        let store = try await StoreFactory(engine, dir).open()
        let (wamid, queued) = try await sentAndQueued(store)
        _ = try await store.applyInbox([failed(wamid, code: 131050, ErrorMeaning(.permanent, [.optedOut]), at: 100)], nowMillis: 100)
        #expect(try await store.optOut(channel: "main", recipient: Self.customer)?.source == "131050")
        let marketing = try await message(store, queued[0])
        #expect(marketing.state == .failed && marketing.lastError?.contains("opted out") == true)
        #expect(try await message(store, queued[1]).state == .queued)
        let events = try await store.events(after: 0, limit: 100, filter: EventFilter(types: [.optedOut])).events
        #expect(events.count == 1 && events.first?.data?.contains("131050") == true)
    }

    @Test("a failed status with 131049 holds the customer's queued marketing for the configured time from the status", arguments: StoreEngine.all)
    func marketingLimitByStatus(engine: StoreEngine) async throws {
        let store = try await StoreFactory(engine, dir).open()
        store.setMarketingHold(millis: 12 * Self.hour)
        let (wamid, queued) = try await sentAndQueued(store)
        _ = try await store.applyInbox([failed(wamid, code: 131049, ErrorMeaning(.permanent, [.marketingLimit]), at: 100)], nowMillis: 150)
        let held = try await message(store, queued[0])
        #expect(held.state == .queued && held.dueMillis == 100 + 12 * Self.hour && held.heldReason?.contains("131049") == true)
        #expect(try await message(store, queued[1]).heldReason == nil, "utility goes on")
        #expect(try await store.claim(channel: "main", nowMillis: 200, limit: 10, rules: lax).map(\.id) == [queued[1]])
    }

    @Test("a failed status with 132015 holds the template's queued messages; one with 132016 fails them", arguments: StoreEngine.all)
    func templateByStatus(engine: StoreEngine) async throws {
        let store = try await StoreFactory(engine, dir).open()
        let (wamid, queued) = try await sentAndQueued(store)
        _ = try await store.applyInbox([failed(wamid, code: 132015, ErrorMeaning(.permanent, [.templatePaused]), at: 100)], nowMillis: 100)
        let held = try await message(store, queued[0])
        #expect(held.state == .queued && held.dueMillis == 100 + 3 * Self.hour && held.heldReason?.contains("paused") == true)
        #expect(try await store.templates(channel: "main", nowMillis: 100).first { $0.spec.name == "spring_sale" }?.pausedUntilMillis == 100 + 3 * Self.hour)
        #expect(try await message(store, queued[1]).heldReason == nil, "another template goes on")
        let disabled = ProcessedInbox(id: 0, templates: [TemplateStatusReport(channel: "main", name: "spring_sale", language: "en_US", status: "DISABLED")])
        _ = try await store.applyInbox([disabled], nowMillis: 200)
        #expect(try await message(store, queued[0]).state == .failed)
        #expect(try await store.catalogs()["main"]?.spec(name: "spring_sale", language: "en_US")?.status == "DISABLED", "the catalog shows the status webhooks reported")
    }

    /// Given two queued messages of one template, the first claimed and then failed here:
    /// its outcome was unknown, no status settled it in time, and `unknown_outcome = "fail"`.
    /// - Returns: the ids (the failed one first).
    func failedLocally(_ store: OutboxStore) async throws -> [Int64] {
        try await store.replaceCatalog(channel: "main", specs: TemplateStoreTests.specs, nowMillis: 0)
        let queued = ids(try await store.submit([try template("spring_sale"), try template("spring_sale", to: "+4915112345679")], nowMillis: 0))
        #expect(try await store.claim(channel: "main", nowMillis: 10, limit: 1, rules: lax).map(\.id) == [queued[0]])
        try await store.recoverInterrupted(nowMillis: 20, waitMillis: 0)
        #expect(try await store.settleOverdue(nowMillis: 30, action: .fail, maxAttempts: 10) == 1)
        return queued
    }

    @Test("a failed status after a local failure still acts: its 132015 holds the template's other messages (red-team 19)", arguments: StoreEngine.all)
    func failedAfterLocalFailure(engine: StoreEngine) async throws {
        let store = try await StoreFactory(engine, dir).open()
        let queued = try await failedLocally(store)
        let status = failed("wamid.late", code: 132015, ErrorMeaning(.permanent, [.templatePaused]), at: 100, callbackData: store.callbackData(for: queued[0]))
        _ = try await store.applyInbox([status, status], nowMillis: 100)
        let other = try await message(store, queued[1])
        #expect(other.state == .queued && other.dueMillis == 100 + 3 * Self.hour && other.heldReason?.contains("paused") == true)
        let timeline = try #require(try await store.timeline(id: queued[0]))
        #expect(timeline.message.state == .failed)
        #expect(timeline.events.map(\.status).filter { $0.hasPrefix("failed") } == ["failed", "failed_reported"], "the late status is kept once")
        let endings = try await store.timelineEndings(afterEventID: 0)
        #expect(endings.counts.values.reduce(0, +) == 1, "the message ended once")
    }

    @Test("a failed status after a local failure acts once: its redelivery does not pause again a channel an operator resumed", arguments: StoreEngine.all)
    func failedAfterLocalFailureOnce(engine: StoreEngine) async throws {
        let store = try await StoreFactory(engine, dir).open()
        let queued = try await failedLocally(store)
        let status = failed("wamid.late", code: 131042, .channel, at: 100, callbackData: store.callbackData(for: queued[0]))
        let first = try await store.applyInbox([status], nowMillis: 100)
        #expect(first.failures.pauses["main"] != nil && first.moved == ["main"])
        #expect(try await store.resume(channel: "main", nowMillis: 200))
        let again = try await store.applyInbox([status], nowMillis: 300)
        #expect(again.failures.pauses.isEmpty && again.moved.isEmpty)
        #expect(try await store.pauses()["main"] == nil)
    }

    @Test("the database size stats shows is real and grows with what is stored", arguments: StoreEngine.all)
    func size(engine: StoreEngine) async throws {
        let store = try await StoreFactory(engine, dir).open()
        _ = try await store.channelCounts()
        let before = store.sizeBytes()
        #expect(before > 0)
        // Under the 2 kB past which PostgreSQL compresses a row: its size is what was stored.
        let body = String(repeating: "x", count: 1_500)
        for batch in 0..<5 {
            _ = try await store.submit((0..<100).map { text(body, to: "+49151\(String(format: "%07d", batch * 100 + $0))") }, nowMillis: 1)
        }
        _ = try await store.channelCounts()
        #expect(store.sizeBytes() >= before + 500_000, "500 messages of 1.5 kB: \(before) → \(store.sizeBytes())")
    }
}
