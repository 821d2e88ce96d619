import Foundation
import Logging
import OutboxAPI
import OutboxCore
@testable import OutboxDaemon
import OutboxStore
import Testing
import TestSupport

@Suite("Retention")
struct RetentionTests {
    let dir = TempDir()
    let day = RetentionPolicy.day

    func submission(_ body: String, to: String) -> Submission {
        try! Submission(channel: "main", to: to, message: .object(["type": .string("text"), "text": .object(["body": .string(body)])]),
                        idempotencyKey: nil, priority: .normal, notBeforeMillis: nil, nowMillis: 0)
    }

    func service(_ store: OutboxStore, clock: ManualClock, erase: Int64? = 30, delete: Int64? = 90, batch: Int = 1) -> RetentionService {
        var policy = RetentionPolicy()
        policy.eraseBodiesAfterMillis = erase.map { $0 * day }
        policy.deleteAfterMillis = delete.map { $0 * day }
        policy.batchSize = batch
        var logger = Logger(label: "retention")
        logger.logLevel = .critical
        return RetentionService(store: store, policy: policy, clock: clock, logger: logger, minPauseMillis: 0)
    }

    /// Given a sent message, a failed one (with an attempt each), a queued one and a processed
    /// webhook payload, all from day 0.
    func seed(_ store: OutboxStore, at t0: Int64) async throws -> (sent: Int64, failed: Int64, queued: Int64) {
        var rules = RecipientRules()
        rules.enforceWindow = false
        rules.pairIntervalMillis = 0
        _ = try await store.submit([submission("hello Ana", to: "+4915100000001"), submission("hello Bo", to: "+4915100000002")], nowMillis: t0)
        let claimed = try await store.claim(channel: "main", nowMillis: t0, limit: 2, rules: rules)
        let f = APIFailure(httpStatus: 400, code: 131026, title: "Message undeliverable", details: "Recipient cannot be reached")
        try await store.record([
            AttemptRecord(message: claimed[0], startedMillis: t0, latencyMillis: 5, result: .accepted(wamid: "wamid.1", messageStatus: nil), decision: .sent(wamid: "wamid.1")),
            AttemptRecord(message: claimed[1], startedMillis: t0, latencyMillis: 6, result: .failed(f, .permanent, retryAfterMillis: nil), decision: .fail(reason: f.summary)),
        ], nowMillis: t0)
        // Submitted after the claim, so it stays queued.
        let later = try await store.submit([submission("hello Cy", to: "+4915100000003")], nowMillis: t0)
        guard case .created(let queued) = later[0] else { throw HarnessError("not created") }
        let inbox = try await store.storeInbox([InboxItem(channel: "main", source: "webhook", body: Array(#"{"text":"personal"}"#.utf8))], nowMillis: t0)
        try await store.applyInbox([ProcessedInbox(id: inbox[0])], nowMillis: t0)
        return (claimed[0].id, claimed[1].id, queued)
    }

    @Test("bodies are erased after N days, rows deleted after M; queued messages and the audit are kept until then")
    func eraseThenDelete() async throws {
        let clock = ManualClock()
        let t0 = clock.nowMillis()
        let store = try SQLiteOutboxStore(path: dir.file("a.db"))
        let ids = try await seed(store, at: t0)
        let retention = service(store, clock: clock)

        // Day 29: nothing is old enough.
        clock.advance(byMillis: 29 * day)
        let early = try await retention.pass()
        #expect(early.bodiesErased + early.messagesDeleted + early.payloadsErased + early.payloadsDeleted == 0)
        #expect(try await store.timeline(id: ids.sent)?.message.payload != nil)

        // Day 31: the finished bodies and the processed payload are erased; the audit stays.
        clock.advance(byMillis: 2 * day)
        let erased = try await retention.pass()
        #expect(erased.bodiesErased == 2)
        #expect(erased.payloadsErased == 1)
        #expect(erased.messagesDeleted == 0)
        for id in [ids.sent, ids.failed] {
            let t = try #require(try await store.timeline(id: id))
            #expect(t.message.payload == nil)
            #expect(t.attempts.count == 1)
        }
        #expect(try await store.timeline(id: ids.failed)?.attempts.first?.errorCode == 131026)
        #expect(try await store.timeline(id: ids.queued)?.message.payload != nil)
        #expect(try await retention.pass().bodiesErased == 0)

        // Day 91: the finished rows go with their attempts; the queued one stays, body and all.
        clock.advance(byMillis: 60 * day)
        let deleted = try await retention.pass()
        #expect(deleted.messagesDeleted == 2)
        #expect(deleted.payloadsDeleted == 1)
        #expect(try await store.timeline(id: ids.sent) == nil)
        #expect(try await store.timeline(id: ids.failed) == nil)
        #expect(try await store.attemptCounts(sinceMillis: 0).isEmpty)
        #expect(try await store.timeline(id: ids.queued)?.message.payload != nil)
        #expect(try await store.inboxCounts() == (0, 0))
    }

    @Test("a late status restarts the count; off keeps everything")
    func lateStatusAndOff() async throws {
        let clock = ManualClock()
        let t0 = clock.nowMillis()
        let store = try SQLiteOutboxStore(path: dir.file("a.db"))
        let ids = try await seed(store, at: t0)
        // Day 20: the sent message is read.
        clock.advance(byMillis: 20 * day)
        let inbox = try await store.storeInbox([InboxItem(channel: "main", source: "webhook", body: Array("{}".utf8))], nowMillis: clock.nowMillis())
        try await store.applyInbox([ProcessedInbox(id: inbox[0], statuses: [StatusReport(wamid: "wamid.1", status: "read", timestampMillis: clock.nowMillis(), callbackData: nil, error: nil)])],
                                   nowMillis: clock.nowMillis())
        clock.advance(byMillis: 15 * day)
        let pass = try await service(store, clock: clock).pass()
        #expect(pass.bodiesErased == 1)
        #expect(try await store.timeline(id: ids.sent)?.message.payload != nil)
        #expect(try await store.timeline(id: ids.failed)?.message.payload == nil)

        clock.advance(byMillis: 1000 * day)
        let off = try await service(store, clock: clock, erase: nil, delete: nil).pass()
        #expect(off.bodiesErased + off.messagesDeleted + off.payloadsErased + off.payloadsDeleted == 0)
        #expect(try await store.timeline(id: ids.sent)?.message.payload != nil)
    }

    @Test("the service runs a pass at start and every interval, and stats show the last one")
    func serviceLoop() async throws {
        let clock = ManualClock()
        let t0 = clock.nowMillis()
        let store = try SQLiteOutboxStore(path: dir.file("a.db"))
        _ = try await seed(store, at: t0)
        clock.advance(byMillis: 31 * day)
        let retention = service(store, clock: clock, batch: 1000)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await retention.run() }
            #expect(try await eventually { try await store.lastRetentionPass()?.bodiesErased == 2 })
            let first = try #require(try await store.lastRetentionPass())
            #expect(first.startedMillis == clock.nowMillis())
            // Advance only once it sleeps, or it would sleep from the later time.
            #expect(try await eventually { clock.sleeperCount == 1 })
            clock.advance(byMillis: retention.policy.intervalMillis)
            #expect(try await eventually { try await store.lastRetentionPass()?.startedMillis == clock.nowMillis() })
            group.cancelAll()
        }
        let status = RetentionStatus(try #require(try await store.lastRetentionPass()))
        #expect(status.eraseBodiesAfter == "30d")
        #expect(status.deleteAfter == "90d")
        #expect(status.bodiesErased == 0)
    }

    @Test("[retention] keys: durations, off, and refusals that name the key")
    func config() throws {
        func parse(_ section: String) throws -> RetentionPolicy {
            try ConfigLoader.parse("\(section)\n[[channels]]\nname = \"a\"\napi_key_env = \"K\"\n", path: "t.toml", folder: "/tmp", environment: ["K": "k"]).retention
        }
        let defaults = try parse("")
        #expect(defaults.eraseBodiesAfterMillis == 30 * day)
        #expect(defaults.deleteAfterMillis == 180 * day)
        let set = try parse("[retention]\nerase_bodies_after = \"7d\"\ndelete_after = \"off\"\ninterval = \"1m\"\nbatch_size = 500")
        #expect(set.eraseBodiesAfterMillis == 7 * day)
        #expect(set.deleteAfterMillis == nil)
        #expect(set.intervalMillis == 60_000)
        #expect(set.batchSize == 500)
        for (text, key) in [("erase_bodies_after = \"0\"", "retention.erase_bodies_after"), ("delete_after = \"30s\"", "retention.delete_after"),
                            ("erase_after = \"1d\"", "retention.erase_after")] {
            #expect { try parse("[retention]\n\(text)") } throws: { "\($0)".contains(key) }
        }
    }
}
