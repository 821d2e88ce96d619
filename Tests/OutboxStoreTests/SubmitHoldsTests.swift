import OutboxCore
import OutboxStore
import Testing
import TestSupport

/// Holds at submission within one batch, on real SQLite: the store looks a template's pause up
/// once per batch, and each row still gets its own template's answer.
@Suite("Submission holds in a batch")
struct SubmitHoldsTests {
    let dir = TempDir()
    static let hour: Int64 = 3_600_000

    func template(_ name: String, language: String = "en_US", channel: String = "main", to: String) throws -> Submission {
        let json = #"{"type":"template","template":{"name":"\#(name)","language":{"code":"\#(language)"}}}"#
        return try Submission(channel: channel, to: to, message: try JSONParser.parse(Array(json.utf8)), nowMillis: 0)
    }

    @Test("a batch mixing a paused template with others holds exactly the paused one's rows, however they interleave")
    func mixedBatch() async throws {
        let store = try SQLiteOutboxStore(path: dir.file("a.db"))
        let specs = [TemplateSpec(name: "spring_sale", language: "en_US", category: "marketing", status: "APPROVED", bodyParameters: 0),
                     TemplateSpec(name: "spring_sale", language: "de", category: "marketing", status: "APPROVED", bodyParameters: 0),
                     TemplateSpec(name: "order_update", language: "en_US", category: "utility", status: "APPROVED", bodyParameters: 0)]
        try await store.replaceCatalog(channel: "main", specs: specs, nowMillis: 0)
        try await store.replaceCatalog(channel: "other", specs: specs, nowMillis: 0)
        let pause = TemplateStatusReport(channel: "main", name: "spring_sale", language: "en_US", status: "PAUSED", reason: "low quality")
        _ = try await store.applyInbox([ProcessedInbox(id: 0, templates: [pause])], nowMillis: 100)

        // Given one batch: the paused template, others between, and the paused one again
        let batch = [try template("spring_sale", to: "+4915112345671"), try template("order_update", to: "+4915112345672"),
                     try template("spring_sale", language: "de", to: "+4915112345673"), try template("spring_sale", channel: "other", to: "+4915112345674"),
                     try template("spring_sale", to: "+4915112345675")]
        let results = try await store.submit(batch, nowMillis: 200)
        let ids = results.compactMap { if case .created(let id) = $0 { id } else { nil } }
        #expect(ids.count == 5)
        var held: [Bool] = []
        for id in ids {
            let m = try #require(try await store.timeline(id: id)).message
            held.append(m.heldReason?.contains("low quality") == true)
            if m.heldReason != nil { #expect(m.dueMillis == 100 + 3 * Self.hour) } else { #expect(m.dueMillis == 200) }
        }
        // Then only spring_sale in en_US on main waits; its language's other pause, and the other channel's, are its own
        #expect(held == [true, false, false, false, true])
    }
}
