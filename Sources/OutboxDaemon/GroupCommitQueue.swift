import Logging
import OutboxCore
import OutboxStore
import ServiceLifecycle
import Synchronization

/// Group commit: requests that arrive while a commit is on disk wait together and go into
/// the next transaction, so one fsync acknowledges many of them and durability costs no
/// throughput. A caller's `submit` returns only after its rows are committed. Used for
/// submissions and for webhook payloads.
final class GroupCommitQueue<Item: Sendable, Output: Sendable>: Service, Sendable {
    typealias Commit = @Sendable (_ items: [Item], _ nowMillis: Int64) async throws -> [Output]

    private struct Pending {
        var submissions: [Item]
        var continuation: CheckedContinuation<[Output], any Error>
    }

    private struct State {
        var pending: [Pending] = []
        var closed = false
    }

    private let commitBatch: Commit
    private let clock: any OutboxClock
    private let state = Mutex(State())
    private let doorbell = Doorbell()
    /// Most rows in one transaction; a larger backlog is split so no commit runs too long.
    private let maxRowsPerCommit = 20_000

    init(clock: any OutboxClock, commit: @escaping Commit) {
        self.commitBatch = commit
        self.clock = clock
    }

    /// Stores the items durably; throws `StoreError.unavailable` when the database
    /// cannot take writes (then nothing of them was stored).
    func submit(_ submissions: [Item]) async throws -> [Output] {
        try await withCheckedThrowingContinuation { c in
            let accepted = state.withLock { s -> Bool in
                guard !s.closed else { return false }
                s.pending.append(Pending(submissions: submissions, continuation: c))
                return true
            }
            if accepted { doorbell.ring() } else { c.resume(throwing: StoreError.unavailable("the daemon is shutting down")) }
        }
    }

    func run() async {
        await withGracefulShutdownHandler {
            while true {
                let batch = state.withLock { s -> [Pending] in
                    var rows = 0
                    var take = 0
                    while take < s.pending.count, take == 0 || rows + s.pending[take].submissions.count <= maxRowsPerCommit {
                        rows += s.pending[take].submissions.count
                        take += 1
                    }
                    defer { s.pending.removeFirst(take) }
                    return Array(s.pending.prefix(take))
                }
                if batch.isEmpty {
                    if Task.isCancelled { state.withLock { $0.closed = true } }
                    if state.withLock({ $0.closed && $0.pending.isEmpty }) { return }
                    await doorbell.wait()
                    continue
                }
                await commit(batch)
            }
        } onGracefulShutdown: {
            self.state.withLock { $0.closed = true }
            self.doorbell.ring()
        }
    }

    private func commit(_ batch: [Pending]) async {
        do {
            // One request's items go as they are; several are joined once, sized up front
            // (this loop is the one writer's, so its cost per row is everyone's).
            let items: [Item]
            if batch.count == 1 {
                items = batch[0].submissions
            } else {
                var joined: [Item] = []
                joined.reserveCapacity(batch.reduce(0) { $0 + $1.submissions.count })
                for p in batch { joined.append(contentsOf: p.submissions) }
                items = joined
            }
            let results = try await commitBatch(items, clock.nowMillis())
            var offset = 0
            for p in batch {
                p.continuation.resume(returning: Array(results[offset..<(offset + p.submissions.count)]))
                offset += p.submissions.count
            }
        } catch {
            for p in batch { p.continuation.resume(throwing: error) }
        }
    }
}

/// The group-commit queue of submissions.
typealias SubmitQueue = GroupCommitQueue<Submission, SubmitResult>
/// The group-commit queue of webhook payloads.
typealias InboxQueue = GroupCommitQueue<InboxItem, Int64>
