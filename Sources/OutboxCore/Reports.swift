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
    /// The error of a `failed` status, and its meaning by the same table as synchronous errors.
    public var error: APIFailure?
    public var meaning: ErrorMeaning?
    /// `pricing` of the status (on `sent` and `delivered`, sometimes `read`).
    public var pricing: Pricing?
    /// `conversation` of the status (the older conversation-based pricing).
    public var conversation: Conversation?
    /// `recipient_user_id`: the customer's BSUID, when the API gives it.
    public var recipientUserID: String?

    public init(wamid: String, status: String, timestampMillis: Int64?, callbackData: String?, error: APIFailure?, meaning: ErrorMeaning? = nil,
                pricing: Pricing? = nil, conversation: Conversation? = nil, recipientUserID: String? = nil) {
        self.wamid = wamid
        self.status = status
        self.timestampMillis = timestampMillis
        self.callbackData = callbackData
        self.error = error
        self.meaning = meaning
        self.pricing = pricing
        self.conversation = conversation
        self.recipientUserID = recipientUserID
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

/// A status's `pricing` object: what Meta charges for the message.
public struct Pricing: Sendable, Equatable {
    public var billable: Bool?
    /// `PMP` (per message) or `CBP` (per conversation, before July 2025).
    public var model: String?
    /// `regular`, `free_customer_service`, `free_entry_point`, ...
    public var type: String?
    /// `marketing`, `marketing_lite`, `utility`, `authentication`, `service`, ...
    public var category: String?

    public init(billable: Bool?, model: String?, type: String?, category: String?) {
        self.billable = billable
        self.model = model
        self.type = type
        self.category = category
    }
}

/// A status's `conversation` object.
public struct Conversation: Sendable, Equatable {
    public var id: String?
    /// `origin.type`: `marketing`, `utility`, `service`, `referral_conversion`, ...
    public var originType: String?
    /// `expiration_timestamp`, ms since 1970.
    public var expiresMillis: Int64?

    public init(id: String?, originType: String?, expiresMillis: Int64?) {
        self.id = id
        self.originType = originType
        self.expiresMillis = expiresMillis
    }
}

/// A message a customer wrote: it opens (or extends) their 24-hour window on the channel.
public struct InboundReport: Sendable, Equatable {
    public var channel: String
    /// `+` and digits, or the customer's BSUID (username users have no number in the payload).
    public var recipient: String
    public var timestampMillis: Int64
    /// What the event log says of it: its wamid, type (`text`, `image`, ...), the text of a
    /// text message, the whole message object as it came, and the wamid it replies to
    /// (`context.id`), when there are.
    public var wamid: String?
    public var type: String?
    public var text: String?
    public var message: JSONValue?
    public var contextWamid: String?

    public init(channel: String, recipient: String, timestampMillis: Int64, wamid: String? = nil, type: String? = nil, text: String? = nil,
                message: JSONValue? = nil, contextWamid: String? = nil) {
        self.channel = channel
        self.recipient = recipient
        self.timestampMillis = timestampMillis
        self.wamid = wamid
        self.type = type
        self.text = text
        self.message = message
        self.contextWamid = contextWamid
    }
}

/// A template's review changed (`message_template_status_update`, `message_template_quality_update`
/// webhooks): its new status or quality, and why, when the API said.
public struct TemplateStatusReport: Sendable, Equatable {
    /// The channel whose webhook it came by; set when the payload is routed.
    public var channel: String
    public var name: String
    /// nil when the payload did not say (then every language of the name is meant).
    public var language: String?
    /// `APPROVED`, `PAUSED`, `DISABLED`, ... (uppercase); nil for a quality update alone.
    public var status: String?
    /// `GREEN`, `YELLOW`, `RED`, ...; nil for a status update alone.
    public var quality: String?
    public var reason: String?
    /// `other_info.title`: `FIRST_PAUSE`, `SECOND_PAUSE`, ...
    public var hint: String?

    public init(channel: String, name: String, language: String?, status: String?, quality: String? = nil, reason: String? = nil, hint: String? = nil) {
        self.channel = channel
        self.name = name
        self.language = language
        self.status = status
        self.quality = quality
        self.reason = reason
        self.hint = hint
    }
}

/// A customer stopped or resumed marketing messages: the `user_preferences` webhook, or a
/// configured keyword or quick-reply payload in their message.
public struct PreferenceReport: Sendable, Equatable {
    public var channel: String
    /// `+` and digits.
    public var recipient: String
    /// True for a stop, false for a resume.
    public var stop: Bool
    /// `user_preferences`, `keyword`, `payload`.
    public var source: String
    public var detail: String?
    public var timestampMillis: Int64

    public init(channel: String, recipient: String, stop: Bool, source: String, detail: String?, timestampMillis: Int64) {
        self.channel = channel
        self.recipient = recipient
        self.stop = stop
        self.source = source
        self.detail = detail
        self.timestampMillis = timestampMillis
    }
}
