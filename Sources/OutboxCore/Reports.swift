/// A delivery status the API reported for a message we sent (from a webhook).
public struct StatusReport: Sendable, Equatable {
    /// The wamid the status is about.
    public var wamid: String
    /// `sent`, `delivered`, `read`, `failed`, `played`.
    public var status: String
    /// When the API says it happened (ms since 1970), if it said.
    public var timestampMillis: Int64?
    /// Our `biz_opaque_callback_data`, echoed by the Cloud API.
    public var callbackData: String?
    /// The error of a `failed` status, and its class by the same table as synchronous errors.
    public var error: APIFailure?
    public var errorClass: ErrorClass?

    public init(wamid: String, status: String, timestampMillis: Int64?, callbackData: String?, error: APIFailure?, errorClass: ErrorClass?) {
        self.wamid = wamid
        self.status = status
        self.timestampMillis = timestampMillis
        self.callbackData = callbackData
        self.error = error
        self.errorClass = errorClass
    }

    /// Delivery progress: a status only ever moves a message forward.
    public static func rank(_ status: String) -> Int? {
        switch status {
        case "sent": 1
        case "delivered": 2
        case "read", "played": 3
        default: nil
        }
    }
}

/// A message a customer wrote: it opens (or extends) their 24-hour window on the channel.
public struct InboundReport: Sendable, Equatable {
    public var channel: String
    /// `+` and digits.
    public var recipient: String
    public var timestampMillis: Int64

    public init(channel: String, recipient: String, timestampMillis: Int64) {
        self.channel = channel
        self.recipient = recipient
        self.timestampMillis = timestampMillis
    }
}
