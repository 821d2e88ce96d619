import Logging
import OutboxCore
import OutboxStore
import Synchronization

/// Writes finished attempts to the audit trail in batches: under load one transaction holds
/// many attempts. A batch that cannot be written is kept and tried again, never dropped while
/// the daemon runs; a message whose record is lost in a crash stays `sending` and is settled
/// at start-up.
///
/// The buffer is flushed on every way out: a graceful stop (`close`), and a cancelled service
/// group too (a listener that cannot bind, a failing service). An answer that reached us is
/// the one fact a resend cannot undo, so its write runs shielded from cancellation and ends
/// only when the buffer is empty, or after `closeRetryMillis` of failed retries once closed.
final class AttemptRecorder: Sendable {
    /// A record and when its answer came (clock nanoseconds), for the answer-to-commit time.
    private struct Entry {
        var record: AttemptRecord
        var answeredAt: Int64?
    }

    private struct State {
        var pending: [Entry] = []
        var closed = false
        /// Channels of the batch being written now.
        var writing: Set<String> = []
    }

    private let store: any OutboxStore
    private let clock: any OutboxClock
    private let logger: Logger
    private let state = Mutex(State())
    private let doorbell = Doorbell()
    /// Called with the channels of each batch once it is written: a recipient whose request
    /// was open becomes claimable (or held) only then, so their workers look again.
    private let written: @Sendable (Set<String>) -> Void
    /// Called with each committed attempt's time from answer to commit, in nanoseconds.
    private let committed: @Sendable (Int64) -> Void
    /// After `close`, how long a failing write is retried before the rest is given up (the
    /// messages stay `sending` and are settled at the next start, as after a crash).
    let closeRetryMillis: Int64

    init(store: any OutboxStore, clock: any OutboxClock, logger: Logger, closeRetryMillis: Int64 = 5_000,
         committed: @escaping @Sendable (Int64) -> Void = { _ in }, written: @escaping @Sendable (Set<String>) -> Void) {
        self.written = written
        self.committed = committed
        self.store = store
        self.clock = clock
        self.logger = logger
        self.closeRetryMillis = closeRetryMillis
    }

    /// Buffers one finished attempt. - Parameter answeredAt: when its answer came (clock nanoseconds).
    func add(_ record: AttemptRecord, answeredAt: Int64? = nil) {
        state.withLock { $0.pending.append(Entry(record: record, answeredAt: answeredAt)) }
        doorbell.ring()
    }

    /// Returns once every attempt of `channel` handed in so far is written (or after
    /// `timeoutMillis`): a lease is released only after its answers are in the store, so the
    /// next owner never mistakes a recorded answer for an unknown outcome.
    func written(channel: String, timeoutMillis: Int64) async {
        let deadline = TimeMath.add(clock.now(), TimeMath.nanos(millis: timeoutMillis))
        while clock.now() < deadline {
            let busy = state.withLock { s in s.writing.contains(channel) || s.pending.contains { $0.record.message.channel == channel } }
            if !busy { return }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// No more records will come; `run` returns once the last are written.
    func close() {
        state.withLock { $0.closed = true }
        doorbell.ring()
    }

    /// Records attempts until closed and empty. Cancelling the caller does not stop it: the
    /// loop runs in a task of its own (not a child, so it does not inherit the cancellation)
    /// and the caller waits for it; `close` is what ends it.
    func run() async {
        await Task { await self.loop() }.value
    }

    private func loop() async {
        var closedFailingSince: Int64?
        while true {
            let (batch, closed) = state.withLock { s -> ([Entry], Bool) in
                defer { s.pending.removeAll(keepingCapacity: true) }
                s.writing = Set(s.pending.map(\.record.message.channel))
                return (s.pending, s.closed)
            }
            defer { state.withLock { $0.writing = [] } }
            if batch.isEmpty {
                if closed { return }
                await doorbell.wait()
                continue
            }
            do {
                try await store.record(batch.map(\.record), nowMillis: clock.nowMillis())
                let now = clock.now()
                for entry in batch { if let at = entry.answeredAt { committed(max(0, now - at)) } }
                written(Set(batch.map(\.record.message.channel)))
                closedFailingSince = nil
            } catch {
                state.withLock { $0.pending.insert(contentsOf: batch, at: 0) }
                let now = clock.nowMillis()
                if closed {
                    let since = closedFailingSince ?? now
                    closedFailingSince = since
                    if now - since >= closeRetryMillis {
                        let lost = state.withLock { s in defer { s.pending = [] }; return s.pending.count }
                        logger.critical("cannot write attempts to the audit trail at stop; giving up: their messages stay 'sending' and are settled at the next start",
                                        metadata: ["error": "\(error)", "attempts": "\(lost)"])
                        return
                    }
                }
                logger.error("cannot write attempts to the audit trail; will retry", metadata: ["error": "\(error)", "attempts": "\(batch.count)"])
                try? await clock.sleep(until: clock.now() + 500 * Nanos.perMillisecond)
            }
        }
    }
}
