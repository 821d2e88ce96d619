/// How failed sends are retried: exponential backoff with full jitter, capped, bounded by
/// attempts and by age; and what an unknown outcome becomes when no status settles it.
public struct RetryPolicy: Sendable, Equatable {
    /// What to do with a message whose request may or may not have reached the API.
    public enum UnknownOutcomeAction: String, Sendable, Equatable {
        case resend, fail
    }

    /// First backoff; doubles per attempt.
    public var baseDelayMillis: Int64 = 1_000
    /// Cap on one backoff.
    public var maxDelayMillis: Int64 = 300_000
    /// Attempts that count (errors, not rate limits or channel pauses) before the message fails.
    public var maxAttempts: Int = 10
    /// A message older than this fails instead of being retried again.
    public var maxAgeMillis: Int64 = 86_400_000
    /// How long an interrupted send waits for a status webhook that settles it.
    public var unknownOutcomeWaitMillis: Int64 = 120_000
    public var unknownOutcome: UnknownOutcomeAction = .resend

    public init() {}

    /// Backoff before retry number `failures` (1 for the first retry): uniform in
    /// `0...min(cap, base * 2^(failures-1))` ("full jitter").
    public func backoffMillis(failures: Int, using rng: inout some RandomNumberGenerator) -> Int64 {
        let exponent = min(max(failures - 1, 0), 40)
        let ceiling = min(maxDelayMillis, baseDelayMillis.multipliedReportingOverflow(by: 1 << exponent).overflow ? maxDelayMillis : baseDelayMillis << exponent)
        guard ceiling > 0 else { return 0 }
        return Int64.random(in: 0...ceiling, using: &rng)
    }
}
