/// Where a key's webhooks go: 360dialog's per-number webhook config
/// (`POST /v1/configs/webhook`, WHATSAPP-API.md §6.3). The JSON form is the API's:
/// `{"url": "...", "headers": {"Authorization": "Basic ..."}}`.
public struct SandboxWebhook: Sendable, Codable, Equatable {
    /// Where every event is POSTed.
    public var url: String
    /// Extra headers of every POST, besides `Content-Type: application/json`.
    public var headers: [String: String]

    public init(url: String, headers: [String: String] = [:]) {
        self.url = url
        self.headers = headers
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.url = try c.decode(String.self, forKey: .url)
        self.headers = try c.decodeIfPresent([String: String].self, forKey: .headers) ?? [:]
    }
}
