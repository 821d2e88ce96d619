import GRDB
import OutboxCore
@testable import OutboxStore
import Testing
import TestSupport

/// An import's rows staged and expanded, on real SQLite: what is stored where, what the user
/// is told, and that no row is stored twice or lost between the staging table and messages.
@Suite("Staged import rows")
struct StagingTests {
    let dir = TempDir()

    /// Row `row` of import `importID` as the rows endpoint hands it over (keyed by import and row).
    func row(_ row: Int, importID: String = "abc", to: String? = nil, body: String = "hello", priority: Priority = .bulk,
             expiresAt: Int64? = nil, key: String? = nil, now: Int64 = 1_000) throws -> Submission {
        let json = #"{"type":"text","text":{"body":"\#(body)"}}"#
        var s = try Submission(channel: "main", to: to ?? "+491511000\(String(format: "%04d", row))", message: try JSONParser.parse(Array(json.utf8)),
                               idempotencyKey: key ?? SQLiteOutboxStore.stagedKey(importID: importID, row: Int64(row)), priority: priority, expiresAtMillis: expiresAt,
                               importID: importID, nowMillis: now)
        s.stagedRow = Int64(row)
        return s
    }

    func count(_ store: SQLiteOutboxStore, _ sql: String) throws -> Int {
        try store.pool.read { db in try Int.fetchOne(db, sql: sql) ?? -1 }
    }

    @Test("rows are staged, not messages; a re-run finds them; stats and the import's states count them queued")
    func stagedThenFound() async throws {
        let store = try SQLiteOutboxStore(path: dir.file("a.db"))
        let first = try await store.submit((2...6).map { try row($0) }, nowMillis: 1_000)
        #expect(first == Array(repeating: .created(id: 0), count: 5))
        #expect(try count(store, "SELECT count(*) FROM messages") == 0)
        #expect(try count(store, "SELECT count(*) FROM event_log WHERE type = 'accepted'") == 0)
        #expect(try await store.stagedCounts() == ["main": 5])
        let counts = try #require(try await store.channelCounts()["main"])
        #expect(counts.queued == 5 && counts.oldestQueuedMillis == 1_000)
        #expect(try await store.stateCounts(importID: "abc") == [.queued: 5])
        let figures = try await store.queueFigures()
        #expect(figures.staged == ["main": 5] && figures.queued.isEmpty)

        // The same rows again (a re-run), one with other content, one repeated within the batch
        let again = try await store.submit([try row(2), try row(3, body: "changed"), try row(4), try row(4)], nowMillis: 2_000)
        #expect(again == [.duplicate(id: 0, state: .queued), .conflict(id: 0), .duplicate(id: 0, state: .queued), .duplicate(id: 0, state: .queued)])
        #expect(try await store.stagedCounts() == ["main": 5])
    }

    @Test("expanding makes messages in row order with their accepted events and staging time; a re-run then finds the messages")
    func expanded() async throws {
        let store = try SQLiteOutboxStore(path: dir.file("a.db"))
        _ = try await store.submit((2...6).map { try row($0) }, nowMillis: 1_000)
        let r = try await store.expandStaged(channel: "main", limit: 3, nowMillis: 5_000)
        #expect(r.created == 3 && r.dropped == 0)
        let keys = try await store.pool.read { db in try String.fetchAll(db, sql: "SELECT idempotency_key FROM messages ORDER BY id") }
        #expect(keys == ["imp-abc-r0000000002", "imp-abc-r0000000003", "imp-abc-r0000000004"])
        #expect(try count(store, "SELECT count(*) FROM messages WHERE created_at = 1000 AND due_at = 5000 AND import_id = 'abc' AND state = 'queued'") == 3)
        #expect(try count(store, "SELECT count(*) FROM event_log WHERE type = 'accepted' AND at = 1000") == 3)
        #expect(try await store.stagedCounts() == ["main": 2])
        #expect(try count(store, "SELECT count(*) FROM staged_rows") == 2)
        #expect(try await store.channelCounts()["main"]?.queued == 5)
        #expect(try await store.stateCounts(importID: "abc") == [.queued: 5])

        let again = try await store.submit([try row(3), try row(6)], nowMillis: 6_000)
        guard case .duplicate(let id, .queued) = again[0] else { Issue.record("row 3: \(again[0])"); return }
        #expect(id > 0)
        #expect(again[1] == .duplicate(id: 0, state: .queued))

        let rest = try await store.expandStaged(channel: "main", limit: 100, nowMillis: 7_000)
        #expect(rest.created == 2)
        #expect(try await store.stagedCounts().isEmpty)
        #expect(try count(store, "SELECT count(*) FROM messages") == 5)
        #expect(try await store.expandStaged(channel: "main", limit: 100, nowMillis: 8_000) == (0, 0))
    }

    @Test("a high row, a row with its own key or a far not_before is a message at once")
    func notStaged() async throws {
        let store = try SQLiteOutboxStore(path: dir.file("a.db"))
        var far = try row(4)
        far.notBeforeMillis = 1_000 + 2 * 3_600_000
        let results = try await store.submit([try row(2, priority: .high), try row(3, key: "my-own-key"), far, try row(5)], nowMillis: 1_000)
        #expect(results.prefix(3).allSatisfy { if case .created(let id) = $0 { id > 0 } else { false } })
        #expect(results[3] == .created(id: 0))
        #expect(try count(store, "SELECT count(*) FROM messages") == 3)
    }

    @Test("a row whose key a message took meanwhile is dropped at expansion, not stored twice")
    func keyTakenMeanwhile() async throws {
        let store = try SQLiteOutboxStore(path: dir.file("a.db"))
        _ = try await store.submit([try row(2)], nowMillis: 1_000)
        var direct = try row(2)
        direct.stagedRow = nil
        _ = try await store.submit([direct], nowMillis: 2_000)
        let r = try await store.expandStaged(channel: "main", limit: 10, nowMillis: 3_000)
        #expect(r.created == 0 && r.dropped == 1)
        #expect(try count(store, "SELECT count(*) FROM messages") == 1)
        #expect(try await store.stagedCounts().isEmpty)
    }

    @Test("a row that expired while staged becomes a message that expires, as a queued one would")
    func expiredWhileStaged() async throws {
        let store = try SQLiteOutboxStore(path: dir.file("a.db"))
        _ = try await store.submit([try row(2, expiresAt: 2_000)], nowMillis: 1_000)
        let r = try await store.expandStaged(channel: "main", limit: 10, nowMillis: 10_000)
        #expect(r.created == 1)
        #expect(try count(store, "SELECT count(*) FROM messages WHERE expires_at = 2000 AND state = 'queued'") == 1)
    }

    @Test("cancelling an import cancels its messages and removes its staged rows, counted as cancelled")
    func cancelled() async throws {
        let store = try SQLiteOutboxStore(path: dir.file("a.db"))
        _ = try await store.submit((2...6).map { try row($0) }, nowMillis: 1_000)
        _ = try await store.expandStaged(channel: "main", limit: 2, nowMillis: 2_000)
        #expect(try await store.cancel(importID: "abc", nowMillis: 3_000) == 5)
        #expect(try await store.stateCounts(importID: "abc") == [.cancelled: 5])
        #expect(try count(store, "SELECT count(*) FROM staged_rows") == 0)
        #expect(try count(store, "SELECT count(*) FROM event_log WHERE type = 'cancelled'") == 2)
        #expect(try await store.expandStaged(channel: "main", limit: 10, nowMillis: 4_000) == (0, 0))
        #expect(try await store.channelCounts()["main"]?.queued ?? 0 == 0)

        // An import staged and cancelled whole is still known; another never was
        _ = try await store.submit([try row(2, importID: "def")], nowMillis: 5_000)
        #expect(try await store.cancel(importID: "def", nowMillis: 6_000) == 1)
        #expect(try await store.stateCounts(importID: "def") == [.cancelled: 1])
        await #expect(throws: StoreError.self) { try await store.cancel(importID: "nope", nowMillis: 7_000) }
    }

    @Test("the plan keeps a lookahead of queued messages, in chunks, never more than is staged")
    func plan() {
        let p = StagingPlan(lookahead: 1_000, chunk: 300)
        #expect(p.rowsToExpand(queued: 0, staged: 0) == 0)
        #expect(p.rowsToExpand(queued: 0, staged: 5_000) == 1_000)
        #expect(p.rowsToExpand(queued: 900, staged: 5_000) == 100)
        #expect(p.rowsToExpand(queued: 1_000, staged: 5_000) == 0)
        #expect(p.rowsToExpand(queued: 0, staged: 7) == 7)
        #expect(p.rowsToExpand(queued: -5, staged: 5_000) == 1_000)
        #expect(p.chunks(of: 1_000) == [300, 300, 300, 100])
        #expect(p.chunks(of: 0).isEmpty && p.chunks(of: -3).isEmpty)
        // Recounted when the queue could be down to half the lookahead at the channel's rate
        #expect(p.recountDelayMillis(queued: 1_000, ratePerSecond: 100) == 5_000)
        #expect(p.recountDelayMillis(queued: 1_000, ratePerSecond: 10) == 30_000, "at most 30 s")
        #expect(p.recountDelayMillis(queued: 400, ratePerSecond: 100) == 200, "at least the poll")
        #expect(p.recountDelayMillis(queued: 1_000, ratePerSecond: 0) == 200, "a channel without a limit is looked at every poll")
        #expect(p.recountDelayMillis(queued: .max, ratePerSecond: 1) == 30_000)
        let tiny = StagingPlan(lookahead: 0, chunk: 0)
        #expect(tiny.rowsToExpand(queued: 0, staged: 3) == 1 && tiny.chunks(of: 2) == [1, 1])
    }
}
