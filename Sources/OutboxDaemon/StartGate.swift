import Synchronization

/// Opens once every listener is bound. The dispatcher waits at it before its first claim, so a
/// listener that cannot bind (the webhook port in use, an unwritable socket folder) stops the
/// daemon before any request leaves: nothing is claimed, nothing is left `sending`.
final class StartGate: Sendable {
    private struct State {
        var remaining: Int
        /// nil while closed; true when every listener arrived, false when given up.
        var outcome: Bool?
        var waiter: CheckedContinuation<Bool, Never>?
    }

    private let state: Mutex<State>

    /// - Parameter listeners: how many `arrive` calls open the gate (0: open at once).
    init(listeners: Int) {
        state = Mutex(State(remaining: listeners, outcome: listeners <= 0 ? true : nil))
    }

    /// One listener is bound.
    func arrive() {
        settle { s in
            s.remaining -= 1
            return s.remaining <= 0 ? true : nil
        }
    }

    /// The daemon stops before the gate opened: the waiter is told not to start.
    func giveUp() { settle { _ in false } }

    /// True once every listener is bound; false when given up or the waiting task is cancelled.
    /// One waiter at a time.
    func wait() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                let now = state.withLock { s -> Bool? in
                    if let o = s.outcome { return o }
                    if Task.isCancelled { return false }
                    s.waiter = c
                    return nil
                }
                if let now { c.resume(returning: now) }
            }
        } onCancel: {
            let w = state.withLock { s in defer { s.waiter = nil }; return s.waiter }
            w?.resume(returning: false)
        }
    }

    private func settle(_ change: (inout State) -> Bool?) {
        let (waiter, value) = state.withLock { s -> (CheckedContinuation<Bool, Never>?, Bool) in
            if s.outcome == nil, let o = change(&s) { s.outcome = o }
            guard let o = s.outcome else { return (nil, false) }
            defer { s.waiter = nil }
            return (s.waiter, o)
        }
        waiter?.resume(returning: value)
    }
}
