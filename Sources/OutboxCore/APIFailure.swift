/// An error answer from the API, as the audit trail keeps it. Never holds a key.
public struct APIFailure: Sendable, Equatable, Codable {
    /// HTTP status of the answer; nil when no answer came.
    public var httpStatus: Int?
    /// The API's error code (Cloud `error.code`, On-Premise `errors[0].code`), when it gave one.
    public var code: Int?
    public var title: String?
    public var details: String?
    /// Meta's `fbtrace_id`: what Meta's and 360dialog's support ask for about a failure.
    public var traceID: String?

    public init(httpStatus: Int?, code: Int?, title: String?, details: String?, traceID: String? = nil) {
        self.httpStatus = httpStatus
        self.code = code
        self.title = title
        self.details = details
        self.traceID = traceID
    }

    /// One line for `last_error`: "131026 Message undeliverable: details (HTTP 400)".
    public var summary: String {
        var parts: [String] = []
        if let code { parts.append(String(code)) }
        if let title, !title.isEmpty { parts.append(title) }
        var text = parts.joined(separator: " ")
        if let details, !details.isEmpty, details != title { text += text.isEmpty ? details : ": \(details)" }
        if let httpStatus { text += text.isEmpty ? "HTTP \(httpStatus)" : " (HTTP \(httpStatus))" }
        return text
    }
}

/// What one request came to, after the transport classified the answer.
public enum SendResult: Sendable, Equatable {
    /// 2xx: the API took the message; `wamid` identifies it in later webhooks. `messageStatus`
    /// is the answer's `message_status` (e.g. `held_for_quality_assessment`); `waID` the
    /// answer's `contacts[0].wa_id`, which can differ from the number sent to (BR, MX).
    case accepted(wamid: String, messageStatus: String?, waID: String? = nil)
    /// An error answer with its meaning (class and facts); `retryAfterMillis` from a Retry-After header.
    case failed(APIFailure, ErrorMeaning, retryAfterMillis: Int64?)
    /// The request may have reached the API but no answer came (timeout, reset).
    case unknown(detail: String)
    /// The request provably never reached the API: it was never written to a connection
    /// (connection refused, DNS, TLS handshake, connect timeout). Retried without using up
    /// `max_attempts`; a run of them marks the channel unreachable (`Reachability`).
    case notReached(detail: String)

    public var outcome: AttemptOutcome {
        switch self {
        case .accepted: .accepted
        case .failed(_, let meaning, _): meaning.outcome
        case .unknown: .unknownOutcome
        // Kept in the audit trail as a retryable error titled "not sent"; it is not counted.
        case .notReached: .retryableError
        }
    }
}
