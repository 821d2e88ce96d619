/// Where one key's webhooks go and who they claim to come from: the configured webhook, the
/// key's fake account, and the format of its inbound messages.
struct WebhookTarget: Sendable, Equatable {
    var webhook: SandboxWebhook
    var account: FakeAccount
    /// Format of inbound messages simulated for the key (`SandboxKey.api`, Cloud when nil).
    var inboundAPI: SandboxAPI
}
