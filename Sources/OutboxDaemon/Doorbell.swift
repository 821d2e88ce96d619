import OutboxCore
import Synchronization

/// Wakes one waiting task: new work arrived, a send finished, the channel was resumed.
/// A ring with nobody waiting is kept, so a wake-up between checking and waiting is not lost.
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func ring() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.rung = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns when rung or when the task is cancelled. Cheaper than a wait with a deadline:
    /// no timer, no child tasks.
    func wait() async {
        if state.withLock({ s in defer { s.rung = false }; return s.rung }) { return }
        await waitForRing()
    }

    /// Returns when rung, when `deadline` (clock nanoseconds) passes, or when the task is cancelled.
    func wait(until deadline: Int64, clock: any OutboxClock) async {
        if state.withLock({ s in defer { s.rung = false }; return s.rung }) { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForRing() }
            group.addTask { try? await clock.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForRing() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.rung || Task.isCancelled {
                        s.rung = false
                        return true
                    }
                    s.waiter = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            let w = state.withLock { s -> CheckedContinuation<Void, Never>? in
                defer { s.waiter = nil }
                return s.waiter
            }
            w?.resume()
        }
    }
}
