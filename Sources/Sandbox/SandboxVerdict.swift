/// What the sandbox decided for one `/messages` request: the answer and how long to wait
/// before giving it, and the webhooks that follow. Decided under the state's lock, carried out
/// by `MessagesController`.
struct SandboxVerdict: Sendable, Equatable {
    /// The answer to give.
    enum Outcome: Sendable, Equatable {
        /// 200 with the message id made from `serial`.
        case accepted(serial: UInt64)
        /// An API error in the endpoint's shape (Cloud `error`, On-Premise `errors`).
        case apiError(status: Int, code: Int, details: String, retryAfterSeconds: Int?)
        /// A 360dialog gateway error: `{"meta":{"success":false,...}}`, no error code.
        case gatewayError(status: Int, message: String)
        /// Close the connection without answering.
        case drop
    }

    var outcome: Outcome
    /// Delay before answering (or dropping), in milliseconds.
    var delayMillis: Int = 0
    /// The request's sequence number since start; names the `fbtrace_id` of errors.
    var requestNumber: Int = 0
    /// The status webhooks to send for an accepted message; nil when its key has no webhook.
    var webhook: WebhookPlan?
}
