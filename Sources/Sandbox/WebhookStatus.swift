/// The message statuses the sandbox reports in webhooks (WHATSAPP-API.md §6.1): one tick,
/// two ticks, blue ticks, or the terminal failure.
enum WebhookStatus: String, Sendable, Equatable {
    case sent
    case delivered
    case read
    case failed
}
