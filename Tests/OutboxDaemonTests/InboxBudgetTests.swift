import Foundation
import Logging
import OutboxCore
@testable import OutboxDaemon
import OutboxStore
import Sandbox
import Testing
import TestSupport

/// The inbox processor works in a budget: bytes loaded per round and reports applied per
/// transaction, so a flood of large payloads neither fills memory nor holds the writer.
@Suite("Inbox budget")
struct InboxBudgetTests {
    let dir = TempDir()

    @Test("pending payloads are loaded up to the byte budget, and the oldest alone when it is larger")
    func byteBudget() async throws {
        let store = try SQLiteOutboxStore(path: dir.file("outbox.db"))
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 1000)
        _ = try await store.storeInbox((0..<3).map { _ in InboxItem(channel: "main", source: "webhook", body: body) }, nowMillis: 1)
        #expect(try await store.pendingInbox(limit: 500, maxBytes: 1500).count == 1)
        #expect(try await store.pendingInbox(limit: 500, maxBytes: 2000).count == 2)
        #expect(try await store.pendingInbox(limit: 500, maxBytes: 10).count == 1)
        #expect(try await store.pendingInbox(limit: 2, maxBytes: 1 << 20).count == 2)
        #expect(try await store.pendingInbox(limit: 500).count == 3)
    }

    @Test("a payload with more statuses than one transaction may apply is applied in parts, all of it, and then marked processed")
    func statusesInParts() async throws {
        let config = try await withSandbox { _, url in
            let config = testConfig(dir: dir, baseURL: url)
            try await withDaemon(config, dir: dir) { d in
                for i in 0..<3 { try await d.waitFor(try await d.sendText("x", to: "+491510000030\(i)"), in: [.sent]) }
            }
            return config
        }
        let store = try SQLiteOutboxStore.reopen(config.databasePath)
        var wamids: [String] = []
        for id in 1...3 { wamids.append(try #require(try await store.timeline(id: Int64(id))?.message.wamid)) }
        let statuses = wamids.flatMap { w in ["delivered", "read"].map { #"{"id":"\#(w)","status":"\#($0)","timestamp":"1795257590","recipient_id":"4915100000001"}"# } }
        let payload = #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"1"},"statuses":[\#(statuses.joined(separator: ","))]}}]}]}"#
        _ = try await store.storeInbox([InboxItem(channel: "main", source: "webhook", body: Array(payload.utf8))], nowMillis: SystemClock().nowMillis())
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        let channels = Channels([ChannelRuntime(config: config.channels[0], pause: nil)])
        let processor = InboxProcessor(store: store, registry: channels, clock: SystemClock(), logger: quiet, maxBatchBytes: 1, maxReportsPerCommit: 4)
        let task = Task { try await processor.run() }
        #expect(try await eventually { try await store.inboxCounts().pending == 0 })
        task.cancel()
        for id in 1...3 { #expect(try await store.timeline(id: Int64(id))?.message.state == .read) }
    }
}
