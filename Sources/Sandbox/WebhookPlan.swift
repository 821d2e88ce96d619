/// The status webhooks the ledger decided for one accepted message: where they go, and each
/// status with its pause and number of copies. Decided under the state's lock (duplicates
/// are drawn there), carried out by `SandboxState` and `WebhookCourier`.
struct WebhookPlan: Sendable, Equatable {
    /// One status to report.
    struct Step: Sendable, Equatable {
        var status: WebhookStatus
        /// Pause before this status, in milliseconds, counted from the end of the previous
        /// step (or from the request for the first, the answer's own delay included).
        var delayMillis: Int
        /// 1, or 2 when the duplicate fault hit this status.
        var copies: Int
    }

    var target: WebhookTarget
    var steps: [Step]
    /// The error code of the `failed` step, for an async recipient fault.
    var failureCode: Int?
}
