/// What becomes of a message after one attempt: the retry policy as a pure function.
public enum SendDecision: Sendable, Equatable {
    /// The API took it.
    case sent(wamid: String)
    /// Never retried; `reason` goes to `last_error`.
    case fail(reason: String)
    /// Back to the queue, due again at `dueMillis`.
    case retry(dueMillis: Int64)
    /// Outcome unknown: wait until `untilMillis` for a status webhook that settles it.
    case awaitSettlement(untilMillis: Int64)
    /// The channel is broken: pause it (until `untilMillis` when the API says how long) and
    /// requeue the message untouched.
    case pauseChannel(reason: String, untilMillis: Int64?)

    /// Decides the next step.
    /// - Parameters:
    ///   - history: the message's attempts so far, this one included.
    ///   - createdMillis: when the message was accepted, for the age limit.
    public static func after(
        _ result: SendResult,
        history: AttemptHistory,
        createdMillis: Int64,
        nowMillis: Int64,
        policy: RetryPolicy,
        rng: inout some RandomNumberGenerator
    ) -> SendDecision {
        switch result {
        case .accepted(let wamid, _, _):
            return .sent(wamid: wamid)
        case .unknown:
            return .awaitSettlement(untilMillis: TimeMath.add(nowMillis, policy.unknownOutcomeWaitMillis))
        case .notReached(let detail):
            // Nothing reached the API, so no attempt is used up; the age limit still ends it.
            let due = TimeMath.add(nowMillis, policy.backoffMillis(failures: max(1, history.counted), using: &rng))
            if TimeMath.subtract(due, createdMillis) > policy.maxAgeMillis {
                return .fail(reason: "too old to retry (older than \(DurationText.format(milliseconds: policy.maxAgeMillis))); last error: not sent: \(detail)")
            }
            return .retry(dueMillis: due)
        case .failed(let failure, let meaning, let retryAfter):
            let cls = meaning.errorClass
            switch cls {
            case .permanent:
                return .fail(reason: failure.summary)
            case .channel:
                let reason = meaning.has(.configurationProblem)
                    ? "configuration problem: \(failure.summary) answered without an API error code; check the channel's base_url, api and key"
                    : failure.summary
                return .pauseChannel(reason: reason, untilMillis: (meaning.channelBlock ?? nil).map { TimeMath.add(nowMillis, $0) })
            case .retry, .retrySlow, .pair:
                if cls == .retry, history.counted >= policy.maxAttempts {
                    return .fail(reason: "gave up after \(history.counted) attempts; last error: \(failure.summary)")
                }
                // A Retry-After is the API's word, but capped by max_delay: a proxy's "Retry-After: 1e9" must not park a message for decades.
                let delay: Int64 = retryAfter.map { min(max(0, $0), policy.maxDelayMillis) } ?? {
                    switch cls {
                    case .pair: pairBackoffMillis(failures: history.rateLimited)
                    case .retrySlow: slowBackoffMillis(failures: history.rateLimited, using: &rng)
                    default: policy.backoffMillis(failures: max(1, history.counted), using: &rng)
                    }
                }()
                let due = TimeMath.add(nowMillis, delay)
                if TimeMath.subtract(due, createdMillis) > policy.maxAgeMillis {
                    return .fail(reason: "too old to retry (older than \(DurationText.format(milliseconds: policy.maxAgeMillis))); last error: \(failure.summary)")
                }
                return .retry(dueMillis: due)
            }
        }
    }

    /// Throughput and spam limits (130429, 429, 131048): 1 s doubling to a 60 s cap, jittered in its upper half so
    /// a throttled channel never hammers the API straight away.
    public static func slowBackoffMillis(failures: Int, using rng: inout some RandomNumberGenerator) -> Int64 {
        let ceiling = min(Int64(60_000), Int64(1_000) << Int64(min(max(failures - 1, 0), 6)))
        return Int64.random(in: (ceiling / 2)...ceiling, using: &rng)
    }

    /// Meta's recipe for the pair rate limit: 4^X seconds after the X-th consecutive failure.
    public static func pairBackoffMillis(failures: Int) -> Int64 {
        let x = min(max(failures - 1, 0), 5)
        var seconds: Int64 = 1
        for _ in 0..<x { seconds *= 4 }
        return seconds * 1_000
    }
}

/// Counts of a message's attempts by kind, as the retry policy needs them.
public struct AttemptHistory: Sendable, Equatable {
    /// Attempts that count against `max_attempts`: errors and unknown outcomes.
    public var counted: Int
    /// Attempts refused for a rate, pair or spam limit; they do not use up `max_attempts`.
    public var rateLimited: Int

    public init(counted: Int = 0, rateLimited: Int = 0) {
        self.counted = counted
        self.rateLimited = rateLimited
    }

    /// The history after one more attempt with this result: one that never reached the API
    /// counts for nothing.
    public func adding(_ result: SendResult) -> AttemptHistory {
        if case .notReached = result { return self }
        return adding(result.outcome)
    }

    /// The history after one more attempt with this outcome.
    public func adding(_ outcome: AttemptOutcome) -> AttemptHistory {
        var h = self
        switch outcome {
        case .retryableError, .permanentError, .unknownOutcome: h.counted += 1
        case .rateLimited: h.rateLimited += 1
        case .accepted, .channelError: break
        }
        return h
    }
}
