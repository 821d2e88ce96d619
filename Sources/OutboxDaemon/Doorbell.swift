import OutboxCore
import Synchronization

/// Wakes one waiting task: new work arrived, a send finished, the channel was resumed.
/// A ring with nobody waiting is kept, so a wake-up between checking and waiting is not lost.
/// One waiter at a time.
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Bool, Never>?
    }

    private let state = Mutex(State())

    func ring() {
        let waiter = state.withLock { s -> CheckedContinuation<Bool, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.rung = true
            return nil
        }
        waiter?.resume(returning: true)
    }

    /// Returns when rung or when the task is cancelled. Cheaper than a wait with a deadline:
    /// no timer, no child tasks.
    func wait() async {
        if state.withLock({ s in defer { s.rung = false }; return s.rung }) { return }
        _ = await waitForRing()
    }

    /// Returns when rung, when `deadline` (clock nanoseconds) passes, or when the task is
    /// cancelled; true when it was rung (a ring that comes as the deadline passes is kept).
    @discardableResult
    func wait(until deadline: Int64, clock: any OutboxClock) async -> Bool {
        if state.withLock({ s in defer { s.rung = false }; return s.rung }) { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.waitForRing() }
            group.addTask {
                try? await clock.sleep(until: deadline)
                return false
            }
            var rung = await group.next() ?? false
            group.cancelAll()
            for await r in group { rung = rung || r }
            return rung
        }
    }

    /// True when a ring resumed it, false when cancellation did.
    private func waitForRing() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                let resumeNow = state.withLock { s -> Bool? in
                    if s.rung {
                        s.rung = false
                        return true
                    }
                    if Task.isCancelled { return false }
                    s.waiter = c
                    return nil
                }
                if let resumeNow { c.resume(returning: resumeNow) }
            }
        } onCancel: {
            let w = state.withLock { s -> CheckedContinuation<Bool, Never>? in
                defer { s.waiter = nil }
                return s.waiter
            }
            w?.resume(returning: false)
        }
    }
}
