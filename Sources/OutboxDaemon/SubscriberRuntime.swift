import OutboxCore
import OutboxStore
import Synchronization

/// One subscriber's live state, shared by its delivery loop, `GET /v1/subscribers` and a
/// replay: the cursor it acknowledged, its health, and a replay waiting to be taken.
final class SubscriberRuntime: Sendable {
    /// What `wa-outbox subscribers` shows.
    struct Snapshot: Sendable {
        var progress: SubscriberProgress
        var lastErrorMillis: Int64?
        var failures: Int
        var persistedCursor: Int64
    }

    let config: SubscriberConfig
    let doorbell = Doorbell()
    private struct State {
        var progress: SubscriberProgress
        var lastErrorMillis: Int64?
        var failures = 0
        var replayFrom: Int64?
        var persistedCursor: Int64
        var persisted: SubscriberProgress
        var persistedMillis: Int64 = 0
    }

    private let state: Mutex<State>

    init(config: SubscriberConfig, progress: SubscriberProgress) {
        self.config = config
        state = Mutex(State(progress: progress, persistedCursor: progress.cursor, persisted: progress))
    }

    var name: String { config.name }
    var snapshot: Snapshot {
        state.withLock { Snapshot(progress: $0.progress, lastErrorMillis: $0.lastErrorMillis, failures: $0.failures, persistedCursor: $0.persistedCursor) }
    }

    /// Several daemons: this daemon took the subscriber over; it goes on from the stored
    /// progress (another daemon delivered up to there).
    func adopt(_ progress: SubscriberProgress) {
        state.withLock { s in
            s.progress = progress
            s.persistedCursor = progress.cursor
            s.persisted = progress
        }
    }

    /// Asks the loop to deliver again from after `cursor` (it takes it before its next POST).
    func replay(from cursor: Int64) {
        state.withLock { $0.replayFrom = cursor }
        doorbell.ring()
    }

    /// The replay asked for, if any, taken once.
    func takeReplay() -> Int64? {
        state.withLock { s in
            defer { s.replayFrom = nil }
            if let r = s.replayFrom { s.progress.cursor = r }
            return s.replayFrom
        }
    }

    func delivered(through cursor: Int64, nowMillis: Int64) {
        state.withLock { s in
            s.progress.cursor = cursor
            s.progress.lastSuccessMillis = nowMillis
            s.progress.failingSinceMillis = nil
            s.failures = 0
        }
    }

    /// Filtered-out events: the cursor moves past them without a POST.
    func skipped(through cursor: Int64) {
        state.withLock { s in s.progress.cursor = max(s.progress.cursor, cursor) }
    }

    func failed(_ error: String, nowMillis: Int64, failingSince: Int64?) {
        state.withLock { s in
            s.progress.lastError = error
            s.lastErrorMillis = nowMillis
            s.failures += 1
            if let failingSince { s.progress.failingSinceMillis = failingSince }
        }
    }

    /// The progress to save when it changed and the last save is `everyMillis` old (or `force`).
    func progressToPersist(nowMillis: Int64, everyMillis: Int64, force: Bool) -> SubscriberProgress? {
        state.withLock { s in
            guard s.progress != s.persisted, force || nowMillis - s.persistedMillis >= everyMillis else { return nil }
            s.persistedMillis = nowMillis
            s.persisted = s.progress
            s.persistedCursor = s.progress.cursor
            return s.progress
        }
    }
}
