import OutboxCore
import Synchronization

/// Wakes one waiting task: new work arrived, a send finished, the channel was resumed.
/// A ring with nobody waiting is kept, so a wake-up between checking and waiting is not lost.
/// One waiter at a time.
///
/// A wait with a deadline is one continuation, and the deadline is kept by the doorbell's
/// timer: one sleeping task that, when it wakes, ends the wait if its deadline passed, or
/// sleeps again until the deadline of the wait now in progress. A channel worker waits about
/// once per send with a deadline a second away and is rung long before it; a timer (and two
/// child tasks) per wait made a good part of the tenth of the daemon's CPU that went to
/// scheduling in the aggregate dispatch run. Now a new timer starts only when a wait's deadline comes before the one the timer
/// sleeps until (or no timer sleeps), and a timer that finds nobody waiting ends.
final class Doorbell: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Bool, Never>
        /// Clock nanoseconds; `.max`: none.
        var deadline: Int64
    }

    private struct State {
        var rung = false
        var waiter: Waiter?
        var nextID: UInt64 = 0
        /// The timer that looks after the deadlines (the latest started; an earlier one that
        /// wakes and finds another here ends), and when it wakes next.
        var timer: (id: UInt64, at: Int64)?
        var timersStarted = 0
    }

    private let state = Mutex(State())

    func ring() {
        let waiter = state.withLock { s -> Waiter? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.rung = true
            return nil
        }
        waiter?.continuation.resume(returning: true)
    }

    /// Returns when rung or when the task is cancelled. No timer.
    func wait() async {
        if takeRing() { return }
        _ = await suspend(deadline: .max, clock: nil)
    }

    /// Returns when rung, when `deadline` (clock nanoseconds) passes, or when the task is
    /// cancelled; true when it was rung (a ring that comes as the deadline passes is kept).
    @discardableResult
    func wait(until deadline: Int64, clock: any OutboxClock) async -> Bool {
        if takeRing() { return true }
        if deadline <= clock.now() { return false }
        return await suspend(deadline: deadline, clock: clock)
    }

    /// How many timers this doorbell started (for tests: waits must not start one each).
    var timersStarted: Int { state.withLock { $0.timersStarted } }
    /// A task waits now (for tests).
    var isWaiting: Bool { state.withLock { $0.waiter != nil } }

    private func takeRing() -> Bool {
        state.withLock { s in defer { s.rung = false }; return s.rung }
    }

    /// True when a ring resumed it, false when its deadline or cancellation did.
    private func suspend(deadline: Int64, clock: (any OutboxClock)?) async -> Bool {
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                var timer: UInt64?
                var displaced: Waiter?
                let resumeNow = state.withLock { s -> Bool? in
                    if s.rung {
                        s.rung = false
                        return true
                    }
                    if Task.isCancelled { return false }
                    // One waiter at a time; should a second come, the first is not left hanging.
                    displaced = s.waiter
                    s.waiter = Waiter(id: id, continuation: c, deadline: deadline)
                    if deadline != .max, s.timer.map({ $0.at > deadline }) ?? true {
                        s.nextID += 1
                        s.timer = (s.nextID, deadline)
                        s.timersStarted += 1
                        timer = s.nextID
                    }
                    return nil
                }
                if let resumeNow { c.resume(returning: resumeNow) }
                displaced?.continuation.resume(returning: false)
                if let timer, let clock {
                    // The one unstructured task of the doorbell: it outlives no deadline, and
                    // is not a child so that a wait never waits for it.
                    Task { await self.runTimer(id: timer, at: deadline, clock: clock) }
                }
            }
        } onCancel: {
            let w = state.withLock { s -> Waiter? in
                guard s.waiter?.id == id else { return nil }
                defer { s.waiter = nil }
                return s.waiter
            }
            w?.continuation.resume(returning: false)
        }
    }

    /// Sleeps until `at`; ends the wait whose deadline passed, or sleeps on until the deadline
    /// of the wait in progress; ends when nobody waits with a deadline, or another timer took over.
    private func runTimer(id: UInt64, at first: Int64, clock: any OutboxClock) async {
        var at = first
        while true {
            try? await clock.sleep(until: at)
            let now = clock.now()
            let (expired, next) = state.withLock { s -> (Waiter?, Int64?) in
                guard s.timer?.id == id else { return (nil, nil) }
                guard let w = s.waiter, w.deadline != .max else {
                    s.timer = nil
                    return (nil, nil)
                }
                if w.deadline <= now {
                    s.waiter = nil
                    s.timer = nil
                    return (w, nil)
                }
                s.timer = (id, w.deadline)
                return (nil, w.deadline)
            }
            expired?.continuation.resume(returning: false)
            guard let next else { return }
            at = next
        }
    }
}
