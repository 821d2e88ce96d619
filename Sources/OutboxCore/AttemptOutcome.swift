/// What one request to the API came to, as stored in the audit trail.
public enum AttemptOutcome: String, Sendable, Codable, CaseIterable {
    /// 2xx with a wamid.
    case accepted
    /// The API refused this message for good (bad payload, blocked user, ...).
    case permanentError = "permanent_error"
    /// A transient failure: retried with backoff.
    case retryableError = "retryable_error"
    /// Throughput, pair or spam limit: retried later, the channel slows down.
    case rateLimited = "rate_limited"
    /// The channel itself is broken (key, account, payment): the channel pauses.
    case channelError = "channel_error"
    /// The request may or may not have reached the API (timeout, reset, crash mid-request).
    case unknownOutcome = "unknown_outcome"
}

/// The class an API error falls in; decides what the daemon does next.
/// See WHATSAPP-API.md §3.
public enum ErrorClass: String, Sendable, Codable {
    /// Fail the message; never retry.
    case permanent
    /// Transient; exponential backoff with jitter.
    case retry
    /// Rate or spam limit; long backoff, the channel slows down.
    case retrySlow = "retry_slow"
    /// Per-recipient pacing (131056): hold that recipient only.
    case pair
    /// Pause the whole channel until an operator (or a timed probe) resumes it.
    case channel

    public var outcome: AttemptOutcome {
        switch self {
        case .permanent: .permanentError
        case .retry: .retryableError
        case .retrySlow, .pair: .rateLimited
        case .channel: .channelError
        }
    }
}
