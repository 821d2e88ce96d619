/// One API key the sandbox accepts, with the throughput Meta would grant its number and,
/// optionally, where its webhooks go.
public struct SandboxKey: Sendable, Codable, Equatable {
    /// Messages per second the key may send (sliding one-second window over request starts);
    /// the next one is refused with 130429. 0 means unlimited.
    public var messagesPerSecond: Int
    /// The phone number id the key stands for; the webhooks' `metadata.phone_number_id`
    /// (a stable fake derived from the key when nil).
    public var phoneNumberID: String?
    /// Webhook URL from the start, as if set with `POST /v1/configs/webhook`; nil sends no
    /// webhooks until one is configured.
    public var webhookURL: String?
    /// Extra headers of every webhook POST (e.g. `Authorization`).
    public var webhookHeaders: [String: String]
    /// Which format inbound messages simulated for this key use; nil means Cloud. Status
    /// webhooks follow the endpoint the message was sent on, whatever this says.
    public var api: SandboxAPI?

    public init(
        messagesPerSecond: Int = 0,
        phoneNumberID: String? = nil,
        webhookURL: String? = nil,
        webhookHeaders: [String: String] = [:],
        api: SandboxAPI? = nil
    ) {
        self.messagesPerSecond = messagesPerSecond
        self.phoneNumberID = phoneNumberID
        self.webhookURL = webhookURL
        self.webhookHeaders = webhookHeaders
        self.api = api
    }

    /// The JSON form uses snake_case keys, like the rest of the control API.
    enum CodingKeys: String, CodingKey {
        case messagesPerSecond = "messages_per_second"
        case phoneNumberID = "phone_number_id"
        case webhookURL = "webhook_url"
        case webhookHeaders = "webhook_headers"
        case api
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.messagesPerSecond = try c.decodeIfPresent(Int.self, forKey: .messagesPerSecond) ?? 0
        self.phoneNumberID = try c.decodeIfPresent(String.self, forKey: .phoneNumberID)
        self.webhookURL = try c.decodeIfPresent(String.self, forKey: .webhookURL)
        self.webhookHeaders = try c.decodeIfPresent([String: String].self, forKey: .webhookHeaders) ?? [:]
        self.api = try c.decodeIfPresent(SandboxAPI.self, forKey: .api)
    }

    /// The webhook configured from the start, if any.
    var webhook: SandboxWebhook? {
        webhookURL.map { SandboxWebhook(url: $0, headers: webhookHeaders) }
    }
}
