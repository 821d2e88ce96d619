/// One webhook POST attempt the sandbox made, as tests and `GET /sandbox/webhooks` see it.
/// A retried event appears once per attempt; a duplicated one once per copy and attempt.
public struct WebhookDelivery: Sendable, Codable, Equatable {
    /// The URL posted to.
    public var url: String
    /// What the POST reported: `sent`, `delivered`, `read`, `failed`, or `message` for an
    /// inbound message.
    public var status: String
    /// The wamid the status is about, or the inbound message's id.
    public var messageID: String
    /// The JSON body posted; empty when the sandbox runs with `recordBodies == false`.
    public var body: String
    /// 1 for the first try of this copy, 2 for its first retry, and so on.
    public var attempt: Int
    /// Whether this is the extra copy sent by the duplicate fault.
    public var duplicate: Bool
    /// The receiver's HTTP status; nil when no answer came (connection error, timeout).
    public var httpStatus: Int?
    /// Why no answer came, when `httpStatus` is nil.
    public var error: String?
    /// Wall-clock time the attempt started, in Unix milliseconds.
    public var atMillis: Int64

    public init(
        url: String, status: String, messageID: String, body: String, attempt: Int, duplicate: Bool,
        httpStatus: Int?, error: String?, atMillis: Int64
    ) {
        self.url = url
        self.status = status
        self.messageID = messageID
        self.body = body
        self.attempt = attempt
        self.duplicate = duplicate
        self.httpStatus = httpStatus
        self.error = error
        self.atMillis = atMillis
    }

    /// Whether the receiver took it: 360dialog counts only HTTP 200.
    public var delivered: Bool { httpStatus == 200 }

    /// The JSON form uses snake_case keys, like the rest of the control API.
    enum CodingKeys: String, CodingKey {
        case url, status, body, attempt, duplicate, error
        case messageID = "message_id"
        case httpStatus = "http_status"
        case atMillis = "at_millis"
    }
}
