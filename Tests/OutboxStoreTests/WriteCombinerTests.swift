import Dispatch
import GRDB
@testable import OutboxStore
import Synchronization
import Testing
import TestSupport

/// Counts the writer's commits.
final class CommitCounter: TransactionObserver, @unchecked Sendable {
    let commits = Atomic<Int>(0)
    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { commits.add(1, ordering: .relaxed) }
    func databaseDidRollback(_ db: Database) {}
}

/// What each write came to ("ok": committed, else the error's text), and a wait for them all.
final class CombinerOutcomes: Sendable {
    private let state = Mutex<(seen: [Int: String], want: Int, waiter: CheckedContinuation<Void, Never>?)>(([:], 0, nil))

    func finished(_ v: Int, _ error: (any Error)?) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.seen[v] = error.map { "\($0)" } ?? "ok"
            guard s.seen.count >= s.want, let w = s.waiter else { return nil }
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }

    /// Returns once `n` writes finished.
    func all(_ n: Int) async -> [Int: String] {
        await withCheckedContinuation { c in
            let now = state.withLock { s -> Bool in
                s.want = n
                if s.seen.count >= n { return true }
                s.waiter = c
                return false
            }
            if now { c.resume() }
        }
        return state.withLock { $0.seen }
    }
}

@Suite("Write combiner (group commit of the dispatcher's writes)")
struct WriteCombinerTests {
    let dir = TempDir()

    /// A pool with one table, a commit counter, and a way to hold the writer busy.
    func open() throws -> (DatabasePool, CommitCounter) {
        let pool = try DatabasePool(path: dir.file("c.db"))
        try pool.write { db in try db.execute(sql: "CREATE TABLE t (v INTEGER NOT NULL UNIQUE)") }
        let counter = CommitCounter()
        pool.add(transactionObserver: counter)
        return (pool, counter)
    }

    /// Holds the writer until the returned semaphore is signalled, so writes pile up.
    func holdWriter(_ pool: DatabasePool) -> DispatchSemaphore {
        let gate = DispatchSemaphore(value: 0)
        pool.asyncWriteWithoutTransaction { _ in gate.wait() }
        return gate
    }

    /// Hands in a write of `v`, and records its outcome (nil: committed) once it finishes.
    func insert(_ v: Int, into combiner: WriteCombiner, outcomes: CombinerOutcomes, check: (@Sendable (Database) throws -> Void)? = nil) {
        combiner.submit(WriteCombiner.Job(run: { db in
            try check?(db)
            try db.execute(sql: "INSERT INTO t (v) VALUES (?)", arguments: [v])
        }, finish: { error in outcomes.finished(v, error) }))
    }

    @Test("writes handed in while the writer is busy share one commit, in the order they came")
    func shareCommit() async throws {
        let (pool, counter) = try open()
        let combiner = WriteCombiner(writer: pool)
        let gate = holdWriter(pool)
        let outcomes = CombinerOutcomes()
        let before = counter.commits.load(ordering: .relaxed)
        insert(1, into: combiner, outcomes: outcomes)
        // The second sees the first's row: same transaction, in order.
        insert(2, into: combiner, outcomes: outcomes) { db in
            let first = try Int.fetchOne(db, sql: "SELECT count(*) FROM t WHERE v = 1")
            #expect(first == 1)
        }
        insert(3, into: combiner, outcomes: outcomes)
        gate.signal()
        let seen = await outcomes.all(3)
        #expect(counter.commits.load(ordering: .relaxed) - before == 1)
        #expect(seen == [1: "ok", 2: "ok", 3: "ok"])
        #expect(try await pool.read { db in try Int.fetchAll(db, sql: "SELECT v FROM t ORDER BY rowid") } == [1, 2, 3])
    }

    @Test("a write that fails fails alone: the others of its round are tried again by themselves and commit")
    func failureIsolated() async throws {
        let (pool, _) = try open()
        try await pool.write { db in try db.execute(sql: "INSERT INTO t (v) VALUES (2)") }
        let combiner = WriteCombiner(writer: pool)
        let gate = holdWriter(pool)
        let outcomes = CombinerOutcomes()
        insert(1, into: combiner, outcomes: outcomes)
        insert(2, into: combiner, outcomes: outcomes)  // UNIQUE: fails
        insert(3, into: combiner, outcomes: outcomes)
        gate.signal()
        let seen = await outcomes.all(3)
        #expect(seen[1] == "ok" && seen[3] == "ok")
        #expect(seen[2]?.contains("UNIQUE") == true)
        #expect(try await pool.read { db in try Int.fetchAll(db, sql: "SELECT v FROM t ORDER BY v") } == [1, 2, 3])
    }

    @Test("a caller resumes only once its write is committed: another connection reads it")
    func resumesAfterCommit() async throws {
        let (pool, _) = try open()
        let combiner = WriteCombiner(writer: pool)
        let value = try await combiner.write { db -> Int in
            try db.execute(sql: "INSERT INTO t (v) VALUES (7)")
            return 42
        }
        #expect(value == 42)
        #expect(try await pool.read { db in try Int.fetchOne(db, sql: "SELECT v FROM t") } == 7)
        await #expect(throws: (any Error).self) {
            try await combiner.write { db in try db.execute(sql: "INSERT INTO t (v) VALUES (7)") }
        }
    }

    @Test("a caller cancelled before it hands its write in writes nothing")
    func cancelledBefore() async throws {
        let (pool, _) = try open()
        let combiner = WriteCombiner(writer: pool)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await combiner.write { db in try db.execute(sql: "INSERT INTO t (v) VALUES (1)") }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") } == 0)
    }
}
