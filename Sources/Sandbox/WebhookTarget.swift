/// Where one key's webhooks go and who they claim to come from: the configured webhook, the
/// key's fake account, and the format of its inbound messages.
struct WebhookTarget: Sendable, Equatable {
    /// The key whose webhook this is: a retry posts to the key's webhook at that moment.
    var key: String
    var webhook: SandboxWebhook
    var account: FakeAccount
    /// Format of inbound messages simulated for the key (`SandboxKey.api`, Cloud when nil).
    var inboundAPI: SandboxAPI
}
