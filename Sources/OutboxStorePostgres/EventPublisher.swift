import Synchronization

/// Publishes the event log in rounds, as a group commit does: every writer that appended events
/// waits, after its commit, for one `publish_events` call that began after that commit; all
/// writers that commit while a round runs share the next one. So a daemon calls the publisher
/// (which takes one advisory lock on the server) once per round, not once per transaction, and
/// a write still returns with its events in the feed.
final class EventPublisher: Sendable {
    private struct State {
        var waiting: [CheckedContinuation<Void, Never>] = []
        var idle: CheckedContinuation<Void, Never>?
        var closed = false
    }
    private let state = Mutex(State())
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Starts the rounds; `round` publishes whatever is committed and pending.
    func start(_ round: @escaping @Sendable () async -> Void) {
        task.withLock { $0 = Task { await self.loop(round) } }
    }

    /// Returns once a round that began after this call has ended (at once after `stop`).
    func published() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let wake = state.withLock { s -> CheckedContinuation<Void, Never>? in
                if s.closed { c.resume(); return nil }
                s.waiting.append(c)
                defer { s.idle = nil }
                return s.idle
            }
            wake?.resume()
        }
    }

    /// Ends the rounds; writers waiting are let go (their events stay pending for any daemon's next round).
    func stop() {
        let (waiting, idle) = state.withLock { s in
            s.closed = true
            defer { s.waiting = []; s.idle = nil }
            return (s.waiting, s.idle)
        }
        waiting.forEach { $0.resume() }
        idle?.resume()
        task.withLock { $0?.cancel(); $0 = nil }
    }

    private func loop(_ round: @Sendable () async -> Void) async {
        while true {
            // Until somebody waits (or the publisher stops).
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s -> Bool in
                    if s.closed || !s.waiting.isEmpty { return true }
                    s.idle = c
                    return false
                }
                if ready { c.resume() }
            }
            let batch = state.withLock { s -> [CheckedContinuation<Void, Never>]? in
                if s.closed { return nil }
                defer { s.waiting = [] }
                return s.waiting
            }
            guard let batch else { return }
            await round()
            batch.forEach { $0.resume() }
        }
    }
}
