/// One `/messages` request as the ledger sees it: who sent it, where, and what the body
/// check found. The body text is present only when bodies are recorded.
struct MessageAttempt: Sendable {
    var api: SandboxAPI
    /// The `D360-API-KEY` header, if any.
    var key: String?
    /// The validated message or why its body was refused.
    var message: Result<ValidMessage, BodyRejection>
    /// The raw body, kept in the received log; nil when not recorded.
    var body: String?
    /// When the request's head was read (sandbox clock nanoseconds), before its body: the
    /// arrival the API counts. Nil: when the ledger sees it.
    var arrival: Int64? = nil
}
