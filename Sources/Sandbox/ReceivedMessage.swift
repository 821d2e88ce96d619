/// A message the sandbox accepted (answered 2xx), as tests and the control API see it.
public struct ReceivedMessage: Sendable, Codable, Equatable {
    /// The id the answer carried (`wamid.…` on Cloud, `gBEG…` on On-Premise).
    public var wamid: String
    /// A fingerprint of the API key (its first 4 characters and "…"), never the whole key.
    public var key: String
    /// The body's `to`, as sent.
    public var to: String
    /// The body's `type` (text, template, image, …).
    public var type: String
    /// "cloud" or "onpremise": the endpoint that took the message.
    public var api: String
    /// The body's `biz_opaque_callback_data`, when present.
    public var callbackData: String?
    /// Wall-clock time the request was accepted, in Unix milliseconds.
    public var receivedAtMillis: Int64
    /// The request body; empty when the sandbox runs with `recordBodies == false`.
    public var body: String

    public init(
        wamid: String, key: String, to: String, type: String, api: String,
        callbackData: String?, receivedAtMillis: Int64, body: String
    ) {
        self.wamid = wamid
        self.key = key
        self.to = to
        self.type = type
        self.api = api
        self.callbackData = callbackData
        self.receivedAtMillis = receivedAtMillis
        self.body = body
    }

    /// The JSON form uses snake_case keys, like the rest of the control API.
    enum CodingKeys: String, CodingKey {
        case wamid, key, to, type, api, body
        case callbackData = "callback_data"
        case receivedAtMillis = "received_at_millis"
    }
}
