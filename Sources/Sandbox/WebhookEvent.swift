import OutboxCore

/// What one webhook POST reports. Kept as data until the POST comes due, when
/// `WebhookRenderer` turns it into a body with the time of that moment.
enum WebhookEvent: Sendable, Equatable {
    /// A status of a message the sandbox accepted.
    struct StatusReport: Sendable, Equatable {
        /// The id the send was answered with.
        var messageID: String
        var status: WebhookStatus
        /// The recipient's digits (`recipient_id`).
        var recipientID: String
        /// `biz_opaque_callback_data` of the send, echoed on Cloud.
        var callbackData: String?
        /// The sent message's type; picks the pricing category of `sent`.
        var messageType: String
        /// The error code of a `failed` status.
        var errorCode: Int?
    }

    case status(StatusReport)
    /// A simulated user message and the id it was given.
    case inbound(SimulatedInbound, id: String)
    /// A change of a field other than `messages` (`message_template_status_update`,
    /// `user_preferences`): the field, its `value` object, and what the delivery log calls it.
    case change(field: String, value: [String: JSONValue], label: String)

    /// `WebhookDelivery.status`: the status name, or `message` for an inbound message.
    var label: String {
        switch self {
        case .status(let report): report.status.rawValue
        case .inbound: "message"
        case .change(_, _, let label): label
        }
    }

    /// The id the event is about.
    var messageID: String {
        switch self {
        case .status(let report): report.messageID
        case .inbound(_, let id): id
        case .change(let field, _, _): field
        }
    }
}
