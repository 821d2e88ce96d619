import GRDB
import Synchronization

/// Group commit for the dispatcher's writes (claims, recorded answers, releases): the writes
/// that callers hand in while the writer is busy run together in the next transaction, so one
/// fsync serves all of them. Ten channel workers each
/// claiming in a transaction of their own made about three commits in four of the aggregate
/// dispatch run, and each commit costs an fsync (the largest single cost of a commit here).
///
/// Every caller resumes only after the shared commit returned, so nothing is acted on before
/// it is durable. When the shared transaction fails, nothing of it was stored and each write
/// is tried again alone (see `run`): a write fails exactly when it would have failed as a
/// transaction of its own.
///
/// Rounds run on the writer's queue (`asyncWriteWithoutTransaction`), no task of their own;
/// a round that finds more writes waiting hands them to a new round at the back of the queue,
/// so other writers (submissions) keep their turn.
final class WriteCombiner: Sendable {
    /// One caller's write: `run` does its work inside the shared transaction; `finish` resumes
    /// the caller once the transaction's fate is known (nil: committed).
    struct Job: Sendable {
        let run: @Sendable (Database) throws -> Void
        let finish: @Sendable ((any Error)?) -> Void
    }

    private struct State {
        var pending: [Job] = []
        /// A round is queued on the writer or running.
        var scheduled = false
    }

    private let writer: any DatabaseWriter
    private let state = Mutex(State())

    init(writer: any DatabaseWriter) {
        self.writer = writer
    }

    /// Runs `body` in the next shared transaction and returns its value once that committed.
    /// A caller cancelled before it was handed in does not write; once handed in, the write
    /// runs to its end (a shared transaction is not interrupted for one caller).
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try Task.checkCancellation()
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
            let box = ResultBox<T>()
            submit(Job(run: { db in box.value = try body(db) }, finish: { error in
                if let error { c.resume(throwing: error) } else { c.resume(returning: box.value!) }
            }))
        }
    }

    /// Hands in one write; starts a round unless one is queued already.
    func submit(_ job: Job) {
        let start = state.withLock { s -> Bool in
            s.pending.append(job)
            defer { s.scheduled = true }
            return !s.scheduled
        }
        if start { schedule() }
    }

    private func schedule() {
        writer.asyncWriteWithoutTransaction { db in self.round(db) }
    }

    /// Takes every write waiting and runs them in one transaction.
    private func round(_ db: Database) {
        let jobs = state.withLock { s -> [Job] in
            defer { s.pending.removeAll(keepingCapacity: true) }
            return s.pending
        }
        for (job, outcome) in zip(jobs, Self.run(jobs, db: db)) { job.finish(outcome) }
        let more = state.withLock { s -> Bool in
            if s.pending.isEmpty { s.scheduled = false }
            return !s.pending.isEmpty
        }
        if more { schedule() }
    }

    /// Runs `jobs` in one transaction; returns each one's error (nil: committed). When that
    /// transaction fails, each job runs again alone in a transaction of its own, so a write
    /// that cannot succeed fails by itself and does not hold the others back. (Savepoints
    /// would isolate them at once, but each copies every page it touches to a sub-journal,
    /// which cost more than the commits saved.) A job's body only reads and writes the
    /// database, so running it again after a rollback is the same as running it once.
    static func run(_ jobs: [Job], db: Database) -> [(any Error)?] {
        do {
            try db.inTransaction {
                for job in jobs { try job.run(db) }
                return .commit
            }
            return jobs.map { _ in nil }
        } catch {
            guard jobs.count > 1 else { return [error] }
            return jobs.map { job in
                do {
                    try db.inTransaction {
                        try job.run(db)
                        return .commit
                    }
                    return nil
                } catch {
                    return error
                }
            }
        }
    }
}

/// A write's value, set on the writer's queue before its caller is resumed (the resume
/// orders the two).
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
