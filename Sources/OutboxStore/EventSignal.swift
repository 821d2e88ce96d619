import OutboxCore
import Synchronization

/// Rung after every commit that wrote to the event log, so long polls and subscribers wake
/// on new events instead of polling. Waiters pass the generation they last saw: a commit
/// between their read and their wait is never missed.
public final class EventSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Counts commits that wrote events; read it before reading the log.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes every waiter.
    public func ring() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.generation &+= 1
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume() }
    }

    /// Returns once the generation moved past `seen`, `deadline` (clock nanoseconds) passed,
    /// or the task was cancelled.
    public func wait(after seen: UInt64, until deadline: Int64, clock: any OutboxClock) async {
        if generation != seen { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForRing(after: seen) }
            group.addTask { try? await clock.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForRing(after seen: UInt64) async {
        let key = state.withLock { s -> UInt64 in s.nextWaiter &+= 1; return s.nextWaiter }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.generation != seen || Task.isCancelled { return true }
                    s.waiters[key] = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let w = state.withLock { s in s.waiters.removeValue(forKey: key) }
            w?.resume()
        }
    }
}
