import Logging
import OutboxCore
import OutboxStore

extension GroupCommitQueue where Item == Submission, Output == SubmitResult {
    /// The submissions' group-commit queue over `store`: each commit is timed and its new
    /// messages counted in `metrics`, and logged at debug level one line per message (its id,
    /// channel and priority; never its recipient or body).
    static func observed(store: any OutboxStore, clock: any OutboxClock, metrics: OutboxMetrics, logger: Logger) -> SubmitQueue {
        SubmitQueue(clock: clock) { batch, nowMillis in
            let start = clock.now()
            let results = try await store.submit(batch, nowMillis: nowMillis)
            metrics.committed(batch, results, nanos: clock.now() - start)
            if logger.logLevel <= .debug {
                for (s, r) in zip(batch, results) {
                    guard case .created(let id) = r else { continue }
                    logger.debug("accepted", metadata: ["message.id": "\(id)", "channel": "\(s.channel)", "priority": "\(s.priority.rawValue)"])
                }
            }
            return results
        }
    }
}
