import OutboxCore
import Synchronization

/// A clock that moves only when a test says so: time logic is tested without sleeping.
public final class ManualClock: OutboxClock {
    private struct Sleeper {
        var id: Int
        var deadline: Int64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private let state: Mutex<(now: Int64, sleepers: [Sleeper], nextID: Int)>

    /// Starts at `startMillis` (default: 2026-11-21T00:00:00Z).
    public init(startMillis: Int64 = 1_795_219_200_000) {
        state = Mutex((startMillis * 1_000_000, [], 0))
    }

    public func now() -> Int64 { state.withLock { $0.now } }

    /// Moves time forward and wakes every sleeper whose deadline passed.
    public func advance(byMillis ms: Int64) {
        let due = state.withLock { s -> [Sleeper] in
            s.now += ms * 1_000_000
            let now = s.now
            let due = s.sleepers.filter { $0.deadline <= now }
            s.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for d in due { d.continuation.resume() }
    }

    /// How many tasks sleep on this clock now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until deadline: Int64) async throws {
        let id = state.withLock { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { s -> Int in
                    if Task.isCancelled { return 2 }
                    if deadline <= s.now { return 1 }
                    s.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: c))
                    return 0
                }
                if outcome == 1 { c.resume() } else if outcome == 2 { c.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let sleeper = state.withLock { s -> Sleeper? in
                guard let i = s.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return s.sleepers.remove(at: i)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }
}
