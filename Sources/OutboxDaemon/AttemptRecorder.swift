import Logging
import OutboxCore
import OutboxStore
import Synchronization

/// Writes finished attempts to the audit trail in batches: under load one transaction holds
/// many attempts. A batch that cannot be written is kept and tried again, never dropped; a
/// message whose record is lost in a crash stays `sending` and is settled at start-up.
final class AttemptRecorder: Sendable {
    private struct State {
        var pending: [AttemptRecord] = []
        var closed = false
    }

    private let store: OutboxStore
    private let clock: any OutboxClock
    private let logger: Logger
    private let state = Mutex(State())
    private let doorbell = Doorbell()
    /// Called with the channels of each batch once it is written: a recipient whose request
    /// was open becomes claimable (or held) only then, so their workers look again.
    private let written: @Sendable (Set<String>) -> Void

    init(store: OutboxStore, clock: any OutboxClock, logger: Logger, written: @escaping @Sendable (Set<String>) -> Void) {
        self.written = written
        self.store = store
        self.clock = clock
        self.logger = logger
    }

    func add(_ record: AttemptRecord) {
        state.withLock { $0.pending.append(record) }
        doorbell.ring()
    }

    /// No more records will come; `run` returns once the last are written.
    func close() {
        state.withLock { $0.closed = true }
        doorbell.ring()
    }

    func run() async {
        while true {
            let (batch, closed) = state.withLock { s -> ([AttemptRecord], Bool) in
                defer { s.pending.removeAll(keepingCapacity: true) }
                return (s.pending, s.closed)
            }
            if batch.isEmpty {
                if closed || Task.isCancelled { return }
                await doorbell.wait()
                continue
            }
            do {
                try await store.record(batch, nowMillis: clock.nowMillis())
                written(Set(batch.map(\.message.channel)))
            } catch {
                logger.error("cannot write attempts to the audit trail; will retry", metadata: ["error": "\(error)", "attempts": "\(batch.count)"])
                state.withLock { $0.pending.insert(contentsOf: batch, at: 0) }
                if Task.isCancelled { return }
                try? await clock.sleep(until: clock.now() + 500 * Nanos.perMillisecond)
            }
        }
    }
}
