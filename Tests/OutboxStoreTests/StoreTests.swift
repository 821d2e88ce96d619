import Foundation
import OutboxCore
import OutboxMigrations
import OutboxStore
import Testing
import TestSupport

/// No pacing, no window: the store's queue mechanics alone.
let lax: RecipientRules = {
    var r = RecipientRules()
    r.enforceWindow = false
    r.pairIntervalMillis = 0
    return r
}()

func text(_ body: String, to: String = "+4915112345678", channel: String = "main", key: String? = nil, priority: Priority = .normal, notBefore: Int64? = nil) -> Submission {
    try! Submission(channel: channel, to: to, message: .object(["type": .string("text"), "text": .object(["body": .string(body)])]),
                    idempotencyKey: key, priority: priority, notBeforeMillis: notBefore, nowMillis: 0)
}

@Suite("Outbox store")
struct StoreTests {
    let dir = TempDir()

    @Test("every migration file is registered, in order")
    func migrationsRegistered() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../migrations").standardized.path
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(Migrations.all.map { $0.name + ".sql" } == files)
        let store = try SQLiteOutboxStore(path: dir.file("a.db"))
        #expect(try store.appliedMigrations() == Migrations.all.map(\.name))
    }

    @Test("the writer commits with synchronous=FULL")
    func synchronousFull() throws {
        let store = try SQLiteOutboxStore(path: dir.file("a.db"))
        #expect(try store.writerSynchronous() == 2)
    }

    @Test("the same idempotency key and content is stored once; other content conflicts", arguments: StoreEngine.all)
    func idempotency(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        let first = try await store.submit([text("Hi", key: "k1")], nowMillis: 1)
        guard case .created(let id) = first[0] else { Issue.record("not created"); return }
        let again = try await store.submit([text("Hi", key: "k1"), text("Other", key: "k1"), text("Hi", channel: "other", key: "k1")], nowMillis: 2)
        #expect(again[0] == .duplicate(id: id, state: .queued))
        #expect(again[1] == .conflict(id: id))
        if case .created = again[2] {} else { Issue.record("a key is scoped to its channel") }
    }

    @Test("idempotency compares bytes: an NFD body or key is not the NFC one (red-team 21)", arguments: StoreEngine.all)
    func idempotencyBytes(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        let nfc = "caf\u{E9}", nfd = "cafe\u{301}"
        let first = try await store.submit([text(nfc, key: "k1")], nowMillis: 1)
        guard case .created(let id) = first[0] else { Issue.record("not created"); return }
        let again = try await store.submit([text(nfd, key: "k1"), text("x", key: nfc), text("y", key: nfd)], nowMillis: 2)
        #expect(again[0] == .conflict(id: id))
        guard case .created(let a) = again[1], case .created(let b) = again[2] else {
            Issue.record("keys that differ in bytes are different keys, in one batch too: \(again)")
            return
        }
        #expect(a != b)
    }

    @Test("a far-future inbound time stored by an earlier version is replaced when the customer writes again", arguments: StoreEngine.all)
    func poisonedInbound(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        let now: Int64 = 1_795_219_200_000
        try await store.applyInbox([ProcessedInbox(id: 1, inbound: [InboundReport(channel: "main", recipient: "+4915112345678", timestampMillis: 9_223_372_036_854_775_000)])], nowMillis: now)
        try await store.applyInbox([ProcessedInbox(id: 2, inbound: [InboundReport(channel: "main", recipient: "+4915112345678", timestampMillis: now)])], nowMillis: now)
        #expect(try await store.lastInbound(channel: "main", recipient: "+4915112345678") == now)
        // An older message arriving late does not move a real time back.
        try await store.applyInbox([ProcessedInbox(id: 3, inbound: [InboundReport(channel: "main", recipient: "+4915112345678", timestampMillis: now - 86_400_000)])], nowMillis: now)
        #expect(try await store.lastInbound(channel: "main", recipient: "+4915112345678") == now)
    }

    @Test("claim takes due messages by priority, then oldest due, and marks them sending", arguments: StoreEngine.all)
    func claimOrder(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        _ = try await store.submit([
            text("bulk", to: "+4915100000001", priority: .bulk), text("normal", to: "+4915100000002"),
            text("later", to: "+4915100000003", notBefore: 10_000), text("high", to: "+4915100000004", priority: .high),
        ], nowMillis: 100)
        let claimed = try await store.claim(channel: "main", nowMillis: 200, limit: 10, rules: lax)
        #expect(claimed.map(\.payload).map { $0.contains("high") ? "high" : $0.contains("bulk") ? "bulk" : "normal" } == ["high", "normal", "bulk"])
        #expect(try await store.claim(channel: "main", nowMillis: 200, limit: 10, rules: lax).isEmpty)
        #expect(try await store.nextDue(channel: "main") == 10_000)
        let counts = try await store.channelCounts()
        #expect(counts["main"]?.sending == 3)
        #expect(counts["main"]?.queued == 1)
    }

    @Test("a message left sending at start-up gets an unknown-outcome attempt and waits for settlement", arguments: StoreEngine.all)
    func recovery(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        _ = try await store.submit([text("x")], nowMillis: 100)
        let claimed = try await store.claim(channel: "main", nowMillis: 200, limit: 1, rules: lax)
        #expect(try await store.recoverInterrupted(nowMillis: 300, waitMillis: 1_000) == 1)
        let t = try #require(try await store.timeline(id: claimed[0].id))
        #expect(t.message.state == .sending)
        #expect(t.message.awaitingSettlement)
        #expect(t.attempts.map(\.outcome) == [.unknownOutcome])
        // Not yet due: nothing happens.
        #expect(try await store.settleOverdue(nowMillis: 1_000, action: .resend, maxAttempts: 10) == 0)
        // Due: resent, and the timeline says so.
        #expect(try await store.settleOverdue(nowMillis: 1_300, action: .resend, maxAttempts: 10) == 1)
        let after = try #require(try await store.timeline(id: claimed[0].id))
        #expect(after.message.state == .queued)
        #expect(after.events.map(\.status) == ["resend"])
    }

    @Test("an overdue unknown outcome waits while a webhook received before its deadline is not applied yet (it may be its status)", arguments: StoreEngine.all)
    func settleAfterBacklog(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        _ = try await store.submit([text("x")], nowMillis: 100)
        _ = try await store.claim(channel: "main", nowMillis: 200, limit: 1, rules: lax)
        try await store.recoverInterrupted(nowMillis: 300, waitMillis: 1_000)
        let stored = try await store.storeInbox([InboxItem(channel: "main", source: "webhook", body: Array("{}".utf8))], nowMillis: 1_200)
        #expect(try await store.settleOverdue(nowMillis: 1_400, action: .resend, maxAttempts: 10) == 0)
        // Not for ever: past the grace, a stuck backlog no longer holds it.
        #expect(try await store.settleOverdue(nowMillis: 1_300 + SQLiteOutboxStore.settleBacklogGraceMillis, action: .resend, maxAttempts: 10) == 1)
        // Once the backlog is applied, an overdue one (x again, resent) is judged at once.
        _ = try await store.submit([text("y", to: "+4915100000009")], nowMillis: 100_000)
        _ = try await store.claim(channel: "main", nowMillis: 100_100, limit: 1, rules: lax)
        try await store.recoverInterrupted(nowMillis: 100_200, waitMillis: 1_000)
        #expect(try await store.settleOverdue(nowMillis: 101_300, action: .resend, maxAttempts: 10) == 0)
        try await store.applyInbox(stored.map { ProcessedInbox(id: $0, statuses: [], inbound: []) }, nowMillis: 101_400)
        #expect(try await store.settleOverdue(nowMillis: 101_500, action: .resend, maxAttempts: 10) == 1)
    }

    @Test("an unsettled outcome fails when the policy says fail", arguments: StoreEngine.all)
    func settleFail(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        _ = try await store.submit([text("x")], nowMillis: 100)
        let claimed = try await store.claim(channel: "main", nowMillis: 200, limit: 1, rules: lax)
        try await store.recoverInterrupted(nowMillis: 300, waitMillis: 0)
        #expect(try await store.settleOverdue(nowMillis: 300, action: .fail, maxAttempts: 10) == 1)
        #expect(try await store.timeline(id: claimed[0].id)?.message.state == .failed)
    }

    @Test("only a queued message can be cancelled", arguments: StoreEngine.all)
    func cancel(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        let r = try await store.submit([text("a", to: "+4915100000001"), text("b", to: "+4915100000002")], nowMillis: 100)
        guard case .created(let a) = r[0], case .created(let b) = r[1] else { Issue.record("not created"); return }
        _ = try await store.claim(channel: "main", nowMillis: 200, limit: 1, rules: lax)
        #expect(try await store.cancel(id: a, nowMillis: 300) == (false, .sending))
        #expect(try await store.cancel(id: b, nowMillis: 300) == (true, .cancelled))
        await #expect(throws: StoreError.self) { try await store.cancel(id: 999, nowMillis: 300) }
    }

    @Test("recorded attempts apply the decision and keep the audit", arguments: StoreEngine.all)
    func record(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        _ = try await store.submit([text("a", to: "+4915100000001"), text("b", to: "+4915100000002")], nowMillis: 100)
        let claimed = try await store.claim(channel: "main", nowMillis: 200, limit: 2, rules: lax)
        let f = APIFailure(httpStatus: 400, code: 131026, title: "Message undeliverable", details: nil)
        try await store.record([
            AttemptRecord(message: claimed[0], startedMillis: 200, latencyMillis: 5, result: .accepted(wamid: "wamid.1", messageStatus: nil), decision: .sent(wamid: "wamid.1")),
            AttemptRecord(message: claimed[1], startedMillis: 200, latencyMillis: 6, result: .failed(f, .permanent, retryAfterMillis: nil), decision: .fail(reason: f.summary)),
        ], nowMillis: 210)
        let sent = try #require(try await store.timeline(wamid: "wamid.1"))
        #expect(sent.message.state == .sent)
        #expect(sent.attempts.first?.latencyMillis == 5)
        let failed = try #require(try await store.timeline(id: claimed[1].id))
        #expect(failed.message.state == .failed)
        #expect(failed.message.lastError == "131026 Message undeliverable (HTTP 400)")
        #expect(failed.attempts.first?.errorCode == 131026)
    }

    @Test("list pages newest first with a cursor", arguments: StoreEngine.all)
    func list(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        _ = try await store.submit((0..<5).map { text("m\($0)") }, nowMillis: 100)
        let page1 = try await store.list(MessageFilter(limit: 3))
        #expect(page1.messages.map(\.id) == [5, 4, 3])
        #expect(page1.more)
        let page2 = try await store.list(MessageFilter(beforeID: 3, limit: 3))
        #expect(page2.messages.map(\.id) == [2, 1])
        #expect(!page2.more)
    }

    @Test("callback data names this database and the message", arguments: StoreEngine.all)
    func callbackData(engine: StoreEngine) async throws {
        let db = StoreFactory(engine, dir)
        let store = try await db.open()
        let text = store.callbackData(for: 42)
        #expect(store.messageID(fromCallbackData: text) == 42)
        #expect(store.messageID(fromCallbackData: "wao:other:42") == nil)
        // The instance id survives a reopen.
        let again = try await db.open()
        #expect(again.instanceID == store.instanceID)
    }
}
