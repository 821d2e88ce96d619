/// The webhook POSTs for one message, run in order by `WebhookCourier`: each step waits its
/// pause, then is posted, with its copies one after the other, each retried on its own.
struct WebhookJob: Sendable {
    /// One event and when to post it.
    struct Step: Sendable {
        /// Pause before posting, in milliseconds, counted from the end of the previous step.
        var delayMillis: Int
        var event: WebhookEvent
        /// How many times to post it (2 when the duplicate fault hit).
        var copies: Int
    }

    var webhook: SandboxWebhook
    /// The key the job is for. Each attempt posts to the key's webhook as it is then (as a
    /// provider delivers to the URL configured now), `webhook` when the key has none any more.
    var key: String?
    var account: FakeAccount
    /// The payload format: Cloud envelope or On-Premise flat body.
    var api: SandboxAPI
    var steps: [Step]
}
