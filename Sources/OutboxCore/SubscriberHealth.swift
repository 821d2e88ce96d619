/// One subscriber's delivery health, as a state machine the delivery loop drives: each failed
/// POST gives the time of the next try (exponential backoff with full jitter, capped), and a
/// subscriber that has failed for longer than its give-up age is marked failing, once. It is
/// never dropped: the loop keeps probing at the capped delay, and the first success after
/// that marks it recovered and delivery goes on from the same cursor.
public struct SubscriberHealth: Sendable, Equatable {
    /// What a result changed, for the loop to report (an event, a metric, the log).
    public enum Change: Sendable, Equatable {
        case none
        /// Failing for longer than the give-up age since `sinceMillis` (the first failure).
        case becameFailing(sinceMillis: Int64)
        /// Answering again after having been marked failing.
        case recovered
    }

    public var backoff: RetryPolicy
    /// How long failures may last before the subscriber is marked failing.
    public var giveUpAfterMillis: Int64
    /// Consecutive failed POSTs.
    public private(set) var failures = 0
    /// When the current run of failures began.
    public private(set) var failingFromMillis: Int64?
    /// Marked failing (the give-up age passed) and not answered since.
    public private(set) var isFailing = false

    public init(baseDelayMillis: Int64 = 500, maxDelayMillis: Int64, giveUpAfterMillis: Int64, failingSinceMillis: Int64? = nil) {
        var b = RetryPolicy()
        b.baseDelayMillis = baseDelayMillis
        b.maxDelayMillis = max(baseDelayMillis, maxDelayMillis)
        self.backoff = b
        self.giveUpAfterMillis = giveUpAfterMillis
        if let failingSinceMillis {
            isFailing = true
            failingFromMillis = failingSinceMillis
        }
    }

    /// A POST failed at `nowMillis`: when to try again, and whether this marks it failing.
    public mutating func failed(nowMillis: Int64, using rng: inout some RandomNumberGenerator) -> (retryAtMillis: Int64, change: Change) {
        failures = failures == Int.max ? failures : failures + 1
        let from = failingFromMillis ?? nowMillis
        failingFromMillis = from
        var change = Change.none
        if !isFailing, nowMillis - from >= giveUpAfterMillis {
            isFailing = true
            change = .becameFailing(sinceMillis: from)
        }
        let delay = backoff.backoffMillis(failures: failures, using: &rng)
        let (at, overflow) = nowMillis.addingReportingOverflow(delay)
        return (overflow ? Int64.max : at, change)
    }

    /// A POST got a 2xx.
    public mutating func succeeded() -> Change {
        defer {
            failures = 0
            failingFromMillis = nil
            isFailing = false
        }
        return isFailing ? .recovered : .none
    }
}
