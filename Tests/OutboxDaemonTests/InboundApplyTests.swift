import Foundation
import OutboxAPI
import OutboxCore
import OutboxDaemon
import OutboxStore
import Testing
import TestSupport

/// A reply right after the customer wrote is judged with that message applied. On a manual
/// clock the background inbox processor never wakes by itself, so what these tests see is
/// what the request paths did, not a race with it.
@Suite("Replies right after the customer wrote")
struct InboundApplyTests {
    let dir = TempDir()

    func config(_ url: String) -> DaemonConfig {
        var c = testConfig(dir: dir, baseURL: url)
        c.channels[0].enforceWindow = true
        return c
    }

    let text = #"{"channel":"main","to":"+4915112345678","message":{"type":"text","text":{"body":"Thanks!"}}}"#

    @Test("after POST /v1/inbound returns, the window it opens is open: 0 ms between the answer and the window")
    func relayAppliesBeforeAnswering() async throws {
        let clock = ManualClock()
        try await withDaemon(config("http://127.0.0.1:9"), dir: dir, clock: clock) { d in
            #expect(try await d.post("/v1/messages", json: text).status == 422)
            let seconds = Int(clock.nowMillis() / 1000)
            let (status, _) = try await d.post("/v1/inbound?channel=main", json: cloudInbound(from: "4915112345678", timestamp: seconds))
            #expect(status == 200)
            // No waiting: the window is open the moment the relay's answer is in.
            #expect(try await d.daemon.store.lastInbound(channel: "main", recipient: "+4915112345678") == Int64(seconds) * 1000)
            #expect(try await d.post("/v1/messages", json: text).status == 202)
        }
    }

    @Test("a payload the webhook receiver stored and answered but has not processed yet is applied before the window is judged")
    func submissionAppliesPending() async throws {
        let clock = ManualClock()
        try await withDaemon(config("http://127.0.0.1:9"), dir: dir, clock: clock) { d in
            let seconds = Int(clock.nowMillis() / 1000)
            // Stored as the receiver stores it, without waking the processor.
            _ = try await d.daemon.store.storeInbox(
                [InboxItem(channel: "main", source: "webhook", body: Array(cloudInbound(from: "4915112345678", timestamp: seconds).utf8))],
                nowMillis: clock.nowMillis())
            #expect(try await d.daemon.store.lastInbound(channel: "main", recipient: "+4915112345678") == nil)
            #expect(try await d.daemon.store.inboxCounts().pending == 1)
            // The reply is judged with the customer's message applied.
            #expect(try await d.post("/v1/messages", json: text).status == 202)
            #expect(try await d.daemon.store.inboxCounts().pending == 0)
            // Applied once: the processor finds nothing left to do.
            #expect(try await d.daemon.store.pendingInbox(limit: 10).isEmpty)
        }
    }

    @Test("a payload applied by one path is not applied again by the other")
    func appliedOnce() async throws {
        // The store alone: no background processor to race with.
        let store = try SQLiteOutboxStore(path: dir.file("once.db"))
        let ids = try await store.storeInbox([InboxItem(channel: "main", source: "webhook", body: Array(#"{"x":1}"#.utf8))], nowMillis: 1)
        let pending = try await store.pendingInbox(ids: ids)
        let report = ProcessedInbox(id: ids[0], inbound: [InboundReport(channel: "main", recipient: "+4915112345678", timestampMillis: 5)])
        try await store.applyInbox([report], nowMillis: 2)
        // A second apply of the same payload (the other path, late) changes nothing.
        let later = ProcessedInbox(id: ids[0], inbound: [InboundReport(channel: "main", recipient: "+4915112345678", timestampMillis: 9)])
        try await store.applyInbox([later], nowMillis: 3)
        #expect(pending.count == 1)
        #expect(try await store.pendingInbox(ids: ids).isEmpty)
        #expect(try await store.lastInbound(channel: "main", recipient: "+4915112345678") == 5)
    }
}
