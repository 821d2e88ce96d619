import OutboxCore
import TestSupport
@testable import OutboxStore
import Testing

@Suite("Recording answers: the fast path's checks")
struct RecordPathTests {
    @Test("a wa_id that is the recipient's number without its plus needs no alias; anything else goes the full way")
    func sameNumber() {
        #expect(SQLiteOutboxStore.isNumber("4915112345678", of: "+4915112345678"))
        #expect(!SQLiteOutboxStore.isNumber("4915112345679", of: "+4915112345678"))
        #expect(!SQLiteOutboxStore.isNumber("491511234567", of: "+4915112345678"))
        #expect(!SQLiteOutboxStore.isNumber("+4915112345678", of: "+4915112345678"))  // parsed by recordAlias, which finds no alias
        #expect(!SQLiteOutboxStore.isNumber("US.13491208655302741918", of: "US.13491208655302741918"))
        #expect(!SQLiteOutboxStore.isNumber("", of: "+"))
    }
}

@Suite("Recording answers in batches", .serialized)
struct RecordBatchTests {
    let dir = TempDir()

    @Test("one batch mixes the C-API path (sent, its pair hold) and GRDB's (a retry that holds its recipient), in either order: all written", arguments: StoreEngine.all, [false, true])
    func mixedBatch(engine: StoreEngine, retryFirst: Bool) async throws {
        let store = try await StoreFactory(engine, dir).open()
        _ = try await store.submit([text("a", to: "+4915100000001"), text("b", to: "+4915100000002"), text("c", to: "+4915100000003")], nowMillis: 1)
        let claimed = try await store.claim(channel: "main", nowMillis: 2, limit: 10, rules: lax)
        #expect(claimed.count == 3)
        func sent(_ m: ClaimedMessage) -> AttemptRecord {
            AttemptRecord(message: m, startedMillis: 2, latencyMillis: 1, result: .accepted(wamid: "w\(m.id)", messageStatus: nil),
                          decision: .sent(wamid: "w\(m.id)"), pairIntervalMillis: 6_000)
        }
        let failure = APIFailure(httpStatus: 429, code: 131056, title: "pair rate limit", details: nil)
        let retry = AttemptRecord(message: claimed[1], startedMillis: 2, latencyMillis: 1, result: .failed(failure, ErrorMeaning(.retry), retryAfterMillis: nil),
                                  decision: .retry(dueMillis: 5_000), holdOnRetry: true)
        let batch = retryFirst ? [retry, sent(claimed[0]), sent(claimed[2])] : [sent(claimed[0]), retry, sent(claimed[2])]
        try await store.record(batch, nowMillis: 3)
        for (m, state) in [(claimed[0], MessageState.sent), (claimed[1], .queued), (claimed[2], .sent)] {
            #expect(try await store.timeline(id: m.id)?.message.state == state)
        }
        #expect(try await store.recipientState(channel: "main", recipient: "+4915100000001")?.nextSendMillis == 6_003)
        #expect(try await store.recipientState(channel: "main", recipient: "+4915100000002")?.nextSendMillis == 5_000)
        #expect(try await store.recipientState(channel: "main", recipient: "+4915100000003")?.nextSendMillis == 6_003)
    }
}
