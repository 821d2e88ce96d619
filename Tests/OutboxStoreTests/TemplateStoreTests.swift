import OutboxCore
import OutboxStore
import Testing
import TestSupport

/// The catalog, paused and disabled templates, opt-outs and the marketing limit in the store,
/// on each engine: what each does to queued messages, in the transaction of the fact.
@Suite("Templates and opt-outs in the store")
struct TemplateStoreTests {
    let dir = TempDir()
    static let hour: Int64 = 3_600_000

    static let specs = [
        TemplateSpec(name: "order_update", language: "en_US", category: "utility", status: "APPROVED", bodyParameters: 1),
        TemplateSpec(name: "spring_sale", language: "en_US", category: "marketing", status: "APPROVED", bodyParameters: 1),
    ]

    func template(_ name: String, to: String = "+4915112345678", notBefore: Int64? = nil, category: String? = nil) throws -> Submission {
        let json = #"{"type":"template","template":{"name":"\#(name)","language":{"code":"en_US"},"components":[{"type":"body","parameters":[{"type":"text","text":"x"}]}]}}"#
        var s = try Submission(channel: "main", to: to, message: try JSONParser.parse(Array(json.utf8)), notBeforeMillis: notBefore, nowMillis: 0)
        s.templateCategory = category
        return s
    }

    func ids(_ results: [SubmitResult]) -> [Int64] {
        results.compactMap { if case .created(let id) = $0 { id } else { nil } }
    }

    func events(_ store: OutboxStore, _ type: EventType) async throws -> [LoggedEvent] {
        try await store.events(after: 0, limit: 1000, filter: EventFilter(types: [type])).events
    }

    func message(_ store: OutboxStore, _ id: Int64) async throws -> MessageRecord {
        try #require(try await store.timeline(id: id)).message
    }

    @Test("a sync replaces the catalog; a status that changed since has its effect and an event; stats count paused templates", arguments: StoreEngine.all)
    func sync(engine: StoreEngine) async throws {
        let store = try await StoreFactory(engine, dir).open()
        #expect(try await store.catalogs().isEmpty)
        try await store.replaceCatalog(channel: "main", specs: Self.specs, nowMillis: 1_000)
        let catalog = try #require(try await store.catalogs()["main"])
        #expect(catalog.count == 2 && catalog.syncedMillis == 1_000)
        let queued = ids(try await store.submit([try template("spring_sale")], nowMillis: 1_000))
        var paused = Self.specs
        paused[1].status = "PAUSED"
        #expect(try await store.replaceCatalog(channel: "main", specs: paused, nowMillis: 2_000) == 1)
        let m = try await message(store, queued[0])
        #expect(m.heldReason?.contains("paused") == true && m.dueMillis == 2_000 + 3 * Self.hour)
        let state = try #require(try await store.catalogStates(nowMillis: 2_000)["main"])
        #expect((state.templates, state.paused, state.syncedMillis) == (2, 1, 2_000))
        #expect(try await events(store, .statusChanged).count == 1)
        // Approved again by the next sync: the held message is due at its own time again.
        try await store.replaceCatalog(channel: "main", specs: Self.specs, nowMillis: 3_000)
        let released = try await message(store, queued[0])
        #expect(released.heldReason == nil && released.dueMillis == 1_000)
        // Dropped from the list: gone from the catalog.
        try await store.replaceCatalog(channel: "main", specs: [Self.specs[0]], nowMillis: 4_000)
        #expect(try await store.templates(channel: "main", nowMillis: 4_000).map(\.spec.name) == ["order_update"])
        try await store.catalogSyncFailed(channel: "main", error: "HTTP 401", nowMillis: 5_000)
        #expect(try await store.catalogStates(nowMillis: 5_000)["main"]?.lastError == "HTTP 401")
        #expect(try await store.catalogs()["main"]?.count == 1, "a failed sync keeps the catalog")
    }

    @Test("a PAUSED webhook holds only that template's queued messages, 3 h then 6 h; new ones are held at submission; APPROVED releases them", arguments: StoreEngine.all)
    func pausedByWebhook(engine: StoreEngine) async throws {
        let store = try await StoreFactory(engine, dir).open()
        try await store.replaceCatalog(channel: "main", specs: Self.specs, nowMillis: 0)
        let later: Int64 = 30 * Self.hour  // past both pauses
        let queued = ids(try await store.submit([try template("spring_sale"), try template("order_update", to: "+4915112345679"),
                                                 try template("spring_sale", to: "+4915112345670", notBefore: later)], nowMillis: 0))
        let pause = TemplateStatusReport(channel: "main", name: "spring_sale", language: "en_US", status: "PAUSED", reason: "low quality")
        _ = try await store.applyInbox([ProcessedInbox(id: 0, templates: [pause])], nowMillis: 100)
        #expect(try await message(store, queued[0]).dueMillis == 100 + 3 * Self.hour)
        #expect(try await message(store, queued[1]).heldReason == nil, "other templates go on")
        #expect(try await message(store, queued[2]).dueMillis == later, "a later schedule stays later")
        let during = ids(try await store.submit([try template("spring_sale", to: "+4915112345671")], nowMillis: 200))
        let held = try await message(store, during[0])
        #expect(held.dueMillis == 100 + 3 * Self.hour && held.heldReason?.contains("low quality") == true)
        // Approved again: back to their own times.
        let approved = TemplateStatusReport(channel: "main", name: "spring_sale", language: "en_US", status: "APPROVED")
        let effects = try await store.applyInbox([ProcessedInbox(id: 0, templates: [approved])], nowMillis: 300)
        #expect(effects.moved == ["main"] && effects.catalogChanged == ["main"])
        #expect(try await message(store, queued[0]).dueMillis == 0)
        #expect(try await message(store, during[0]).dueMillis == 200)
        #expect(try await message(store, queued[2]).dueMillis == later)
        // The second pause lasts 6 h.
        _ = try await store.applyInbox([ProcessedInbox(id: 0, templates: [pause])], nowMillis: 400)
        #expect(try await message(store, queued[0]).dueMillis == 400 + 6 * Self.hour)
        let events = try await events(store, .statusChanged)
        #expect(events.count == 3 && events.last?.data?.contains("paused_until") == true)
    }

    @Test("DISABLED fails the template's queued messages with the reason", arguments: StoreEngine.all)
    func disabled(engine: StoreEngine) async throws {
        let store = try await StoreFactory(engine, dir).open()
        let queued = ids(try await store.submit([try template("spring_sale"), try template("order_update", to: "+4915112345679")], nowMillis: 0))
        let off = TemplateStatusReport(channel: "main", name: "spring_sale", language: nil, status: "DISABLED")
        _ = try await store.applyInbox([ProcessedInbox(id: 0, templates: [off])], nowMillis: 100)
        let m = try await message(store, queued[0])
        #expect(m.state == .failed && m.lastError?.contains("disabled") == true)
        #expect(try await message(store, queued[1]).state == .queued)
    }

    @Test("an opt-out fails the customer's queued marketing templates without a request; utility ones stay; resume takes them off", arguments: StoreEngine.all)
    func optOut(engine: StoreEngine) async throws {
        let store = try await StoreFactory(engine, dir).open()
        try await store.replaceCatalog(channel: "main", specs: Self.specs, nowMillis: 0)
        let queued = ids(try await store.submit([try template("spring_sale"), try template("order_update")], nowMillis: 0))
        let stop = PreferenceReport(channel: "main", recipient: "+4915112345678", stop: true, source: "user_preferences", detail: "stop", timestampMillis: 50)
        _ = try await store.applyInbox([ProcessedInbox(id: 0, preferences: [stop, stop])], nowMillis: 100)
        let m = try await message(store, queued[0])
        #expect(m.state == .failed && m.lastError?.contains("opted out") == true)
        #expect(try await message(store, queued[1]).state == .queued)
        #expect(try await store.optOut(channel: "main", recipient: "+4915112345678")?.source == "user_preferences")
        #expect(try await events(store, .optedOut).count == 1, "a second stop changes nothing")
        var resume = stop
        resume.stop = false
        _ = try await store.applyInbox([ProcessedInbox(id: 0, preferences: [resume])], nowMillis: 200)
        #expect(try await store.optOut(channel: "main", recipient: "+4915112345678") == nil)
        #expect(try await events(store, .optedIn).count == 1)
        #expect(try await store.addOptOut(channel: "main", recipient: "+4915112345678", detail: "by phone", nowMillis: 300))
        #expect(try await store.optOuts(channel: nil, recipient: nil, limit: 10).map(\.source) == ["operator"])
        #expect(try await store.removeOptOut(channel: "main", recipient: "+4915112345678", nowMillis: 400))
        #expect(!(try await store.removeOptOut(channel: "main", recipient: "+4915112345678", nowMillis: 500)))
    }

    @Test("a 131049 holds the recipient's marketing for the configured time, queued and new; utility goes on", arguments: StoreEngine.all)
    func marketingLimit(engine: StoreEngine) async throws {
        let store = try await StoreFactory(engine, dir).open()
        store.setMarketingHold(millis: 48 * Self.hour)
        try await store.replaceCatalog(channel: "main", specs: Self.specs, nowMillis: 0)
        _ = try await store.submit([try template("spring_sale", category: "marketing")], nowMillis: 0)
        let queued = ids(try await store.submit([try template("spring_sale", category: "marketing"), try template("order_update", category: "utility")],
                                                nowMillis: 1))
        let claimed = try await store.claim(channel: "main", nowMillis: 10, limit: 1)
        let failure = APIFailure(httpStatus: 400, code: 131049, title: "healthy ecosystem", details: nil)
        try await store.record([AttemptRecord(message: claimed[0], startedMillis: 10, latencyMillis: 1,
                                              result: .failed(failure, ErrorMeaning(.permanent, [.marketingLimit]), retryAfterMillis: nil),
                                              decision: .fail(reason: "131049"))], nowMillis: 20)
        let held = try await message(store, queued[0])
        #expect(held.dueMillis == 20 + 48 * Self.hour && held.heldReason?.contains("131049") == true)
        #expect(try await message(store, queued[1]).heldReason == nil)
        let new = ids(try await store.submit([try template("spring_sale", category: "marketing")], nowMillis: 30))
        #expect(try await message(store, new[0]).dueMillis == 20 + 48 * Self.hour)
    }

    @Test("a 132015 answer holds the message that drew it with the others of its template instead of failing it", arguments: StoreEngine.all)
    func pausedByAnswer(engine: StoreEngine) async throws {
        let store = try await StoreFactory(engine, dir).open()
        let queued = ids(try await store.submit([try template("spring_sale"), try template("spring_sale", to: "+4915112345679")], nowMillis: 0))
        let claimed = try await store.claim(channel: "main", nowMillis: 10, limit: 1)
        let failure = APIFailure(httpStatus: 400, code: 132015, title: "paused", details: nil)
        try await store.record([AttemptRecord(message: claimed[0], startedMillis: 10, latencyMillis: 1,
                                              result: .failed(failure, ErrorMeaning(.permanent, [.templatePaused]), retryAfterMillis: nil),
                                              decision: .fail(reason: "132015"))], nowMillis: 20)
        for id in queued {
            let m = try await message(store, id)
            #expect(m.state == .queued && m.dueMillis == 20 + 3 * Self.hour, "message \(id)")
        }
        #expect(try await store.claim(channel: "main", nowMillis: 30, limit: 10).isEmpty)
    }
}
