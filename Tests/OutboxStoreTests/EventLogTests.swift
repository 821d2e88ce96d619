import Foundation
import OutboxCore
import OutboxStore
import Testing
import TestSupport

@Suite("Event log")
struct EventLogTests {
    let dir = TempDir()

    func all(_ store: OutboxStore, after: Int64 = 0) async throws -> [LoggedEvent] {
        try await store.events(after: after, limit: 1_000).events
    }

    func data(_ e: LoggedEvent) -> JSONValue {
        (try? JSONParser.parse(Array((e.data ?? "{}").utf8))) ?? .null
    }

    @Test("a message's way is in the log, in commit order, each change once: accepted, sent, delivered, read", arguments: StoreEngine.all)
    func messageWay(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        let results = try await store.submit([text("a", to: "+4915100000001", key: "k"), text("a", to: "+4915100000001", key: "k"), text("b", to: "+4915100000002")], nowMillis: 1)
        #expect(results.count == 3)
        var events = try await all(store)
        #expect(events.map(\.type) == ["accepted", "accepted"])  // the duplicate stored nothing
        #expect(data(events[0])["to"]?.stringValue == "+4915100000001" && data(events[0])["priority"]?.stringValue == "normal")
        #expect(data(events[0])["idempotency_key"]?.stringValue == "k")
        let claimed = try await store.claim(channel: "main", nowMillis: 2, limit: 10, rules: lax)
        try await store.record(claimed.map { AttemptRecord(message: $0, startedMillis: 2, latencyMillis: 1, result: .accepted(wamid: "w\($0.id)", messageStatus: nil),
                                                           decision: .sent(wamid: "w\($0.id)")) }, nowMillis: 3)
        let id = claimed[0].id
        let receipt = { (status: String) in StatusReport(wamid: "w\(id)", status: status, timestampMillis: 4_000, callbackData: nil, error: nil) }
        // Twice each, and a late `delivered` after `read`: each receipt is one event.
        try await store.applyInbox([ProcessedInbox(id: 0, statuses: [receipt("sent"), receipt("delivered"), receipt("read"), receipt("read"), receipt("delivered")])], nowMillis: 5)
        events = try await all(store)
        #expect(events.map(\.type) == ["accepted", "accepted", "sent", "sent", "delivered", "read"])
        #expect(events.map(\.id) == events.map(\.id).sorted())
        #expect(events[2].messageID == id && data(events[2])["wamid"]?.stringValue == "w\(id)")
        #expect(data(events[4])["status_at"]?.stringValue == "1970-01-01T00:00:04.000Z")
    }

    @Test("failed carries code, title and details; expired, cancelled and local failures their reason", arguments: StoreEngine.all)
    func failures(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        _ = try await store.submit([text("a", to: "+4915100000001"), text("b", to: "+4915100000002"), text("c", to: "+4915100000003")], nowMillis: 1)
        let claimed = try await store.claim(channel: "main", nowMillis: 2, limit: 1, rules: lax)
        let failure = APIFailure(httpStatus: 400, code: 131026, title: "Message undeliverable", details: "not on WhatsApp")
        try await store.record([AttemptRecord(message: claimed[0], startedMillis: 2, latencyMillis: 1, result: .failed(failure, .permanent, retryAfterMillis: nil),
                                              decision: .fail(reason: failure.summary))], nowMillis: 3)
        _ = try await store.cancel(id: claimed[0].id + 1, nowMillis: 4)
        let events = try await all(store)
        let failed = try #require(events.first { $0.type == "failed" })
        #expect(data(failed)["error"]?["code"] == .int(131026))
        #expect(data(failed)["error"]?["title"]?.stringValue == "Message undeliverable")
        #expect(data(failed)["error"]?["details"]?.stringValue == "not on WhatsApp")
        let cancelled = try #require(events.first { $0.type == "cancelled" })
        #expect(cancelled.channel == "main" && data(cancelled)["reason"]?.stringValue == "cancelled by request")
    }

    @Test("an inbound message carries its content and the id of the message it replies to", arguments: StoreEngine.all)
    func inbound(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        _ = try await store.submit([text("question", to: "+4915100000001")], nowMillis: 1)
        let claimed = try await store.claim(channel: "main", nowMillis: 2, limit: 1, rules: lax)
        try await store.record([AttemptRecord(message: claimed[0], startedMillis: 2, latencyMillis: 1, result: .accepted(wamid: "wamid.Q", messageStatus: nil),
                                              decision: .sent(wamid: "wamid.Q"))], nowMillis: 3)
        let object: JSONValue = .object(["from": .string("4915100000001"), "id": .string("wamid.A"), "type": .string("text"),
                                         "text": .object(["body": .string("yes please")]), "context": .object(["id": .string("wamid.Q")])])
        try await store.applyInbox([ProcessedInbox(id: 0, inbound: [
            InboundReport(channel: "main", recipient: "+4915100000001", timestampMillis: 4_000, wamid: "wamid.A", type: "text", text: "yes please",
                          message: object, contextWamid: "wamid.Q"),
            InboundReport(channel: "main", recipient: "+4915100000002", timestampMillis: 4_000, wamid: "wamid.B", type: "image", message: .object([:])),
        ])], nowMillis: 5)
        let inbound = try await all(store).filter { $0.type == "inbound" }
        #expect(inbound.count == 2)
        #expect(inbound[0].messageID == claimed[0].id)
        #expect(data(inbound[0])["text"]?.stringValue == "yes please" && data(inbound[0])["from"]?.stringValue == "+4915100000001")
        #expect(data(inbound[0])["message"]?["context"]?["id"]?.stringValue == "wamid.Q")
        #expect(inbound[1].messageID == nil && data(inbound[1])["message_type"]?.stringValue == "image")
    }

    @Test("channel pause, resume and rate changes are events, once per change", arguments: StoreEngine.all)
    func channelChanges(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        try await store.pause(channel: "main", reason: "invalid key", untilMillis: nil, nowMillis: 1)
        try await store.pause(channel: "main", reason: "invalid key", untilMillis: nil, nowMillis: 2)
        #expect(try await store.resume(channel: "main", nowMillis: 3))
        #expect(try await store.resume(channel: "main", nowMillis: 4) == false)
        try await store.saveRate(channel: "main", mps: 40, nowMillis: 5)
        try await store.saveRate(channel: "main", mps: 40, nowMillis: 6)
        try await store.saveRate(channel: "main", mps: nil, nowMillis: 7)
        let events = try await all(store)
        #expect(events.map(\.type) == ["paused", "resumed", "rate_changed", "rate_changed"])
        #expect(data(events[0])["reason"]?.stringValue == "invalid key")
        #expect(data(events[2])["mps"] == .int(40) && data(events[3])["mps"] == .null)
    }

    @Test("a timed pause that ends by itself is lifted with a resumed event at its end; a newer pause stays", arguments: StoreEngine.all)
    func timedPauseEnds(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        try await store.pause(channel: "main", reason: "spam limit", untilMillis: 1_000, nowMillis: 1)
        #expect(try await store.liftEndedPause(channel: "main", untilMillis: 1_000))
        #expect(try await store.pauses().isEmpty)
        #expect(try await store.liftEndedPause(channel: "main", untilMillis: 1_000) == false)
        // Paused again meanwhile: the end of the old pause lifts nothing.
        try await store.pause(channel: "main", reason: "spam limit", untilMillis: 5_000, nowMillis: 2_000)
        #expect(try await store.liftEndedPause(channel: "main", untilMillis: 1_000) == false)
        #expect(try await store.pauses()["main"]?.untilMillis == 5_000)
        let events = try await all(store)
        #expect(events.map(\.type) == ["paused", "resumed", "paused"])
        #expect(events[1].atMillis == 1_000 && data(events[1])["by"]?.stringValue == "timer")
        #expect(data(events[1])["reason"]?.stringValue == "spam limit")
    }

    @Test("filters return only matching events and move the cursor past the rest", arguments: StoreEngine.all)
    func filters(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        _ = try await store.submit([text("a", to: "+4915100000001"), text("b", to: "+4915100000002", channel: "other")], nowMillis: 1)
        try await store.pause(channel: "main", reason: "x", untilMillis: nil, nowMillis: 2)
        let page = try await store.events(after: 0, limit: 10, filter: EventFilter(types: [.paused]))
        #expect(page.events.map(\.type) == ["paused"] && page.nextCursor == page.events[0].id)
        let other = try await store.events(after: 0, limit: 10, filter: EventFilter(channels: ["other"]))
        #expect(other.events.count == 1 && other.events[0].channel == "other")
        #expect(other.nextCursor == 3)  // examined all three
        let none = try await store.events(after: 0, limit: 10, filter: EventFilter(types: [.read]), scanLimit: 2)
        #expect(none.events.isEmpty && none.nextCursor == 2)
        #expect(try await store.countEvents(after: 0, filter: EventFilter(types: [.accepted])) == 2)
    }

    @Test("retention deletes old events oldest first and erases inbound content; the cursor never goes back", arguments: StoreEngine.all)
    func retention(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        try await store.applyInbox([ProcessedInbox(id: 0, inbound: [
            InboundReport(channel: "main", recipient: "+4915100000001", timestampMillis: 1, wamid: "w1", type: "text", text: "secret words",
                          message: .object(["text": .object(["body": .string("secret words")])])),
        ])], nowMillis: 10)
        try await store.pause(channel: "main", reason: "x", untilMillis: nil, nowMillis: 20)
        try await store.appendEvent(.optedOut, channel: "main", data: ["recipient": .string("+4915100000001")], nowMillis: 30)
        let erased = try await store.eraseEventContent(before: 15, limit: 100)
        #expect(erased.erased == 1)
        let first = try await all(store)[0]
        #expect(data(first)["text"] == .null && data(first)["message"] == .null && data(first)["from"]?.stringValue == "+4915100000001")
        #expect(try await store.deleteEvents(before: 25, limit: 100) == 2)
        let kept = try await all(store)
        #expect(kept.map(\.type) == ["opted_out"] && kept[0].id == 3)
        try await store.appendEvent(.optedIn, channel: "main", nowMillis: 40)
        #expect(try await all(store).last?.id == 4)
    }

    @Test("a commit that writes events rings the signal", arguments: StoreEngine.all)
    func signal(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        let before = store.eventSignal.generation
        _ = try await store.submit([text("a")], nowMillis: 1)
        #expect(store.eventSignal.generation != before)
        let after = store.eventSignal.generation
        let claimed = try await store.claim(channel: "main", nowMillis: 2, limit: 1, rules: lax)  // no event
        #expect(store.eventSignal.generation == after)
        try await store.record(claimed.map { AttemptRecord(message: $0, startedMillis: 2, latencyMillis: 1, result: .accepted(wamid: "w", messageStatus: nil),
                                                           decision: .sent(wamid: "w")) }, nowMillis: 3)
        #expect(store.eventSignal.generation != after)  // `sent`
    }
}
