/// One entry of a webhook's `statuses` array, in both formats (WHATSAPP-API.md §6.1, §6.2);
/// nil fields are left out of the JSON.
struct WebhookStatusObject: Encodable, Sendable {
    /// `pricing` of a `sent` status.
    struct Pricing: Encodable, Sendable {
        var billable: Bool
        var pricingModel: String
        /// Cloud's pricing type (`regular`, `free_customer_service`); absent on On-Premise.
        var type: String?
        var category: String

        enum CodingKeys: String, CodingKey {
            case billable, type, category
            case pricingModel = "pricing_model"
        }
    }

    /// An entry of `errors` on a `failed` status: Cloud has all fields, On-Premise only
    /// `code` and `title`.
    struct ErrorObject: Encodable, Sendable {
        /// Cloud's `error_data`.
        struct ErrorData: Encodable, Sendable {
            var details: String
        }

        var code: Int
        var title: String
        var message: String?
        var errorData: ErrorData?

        enum CodingKeys: String, CodingKey {
            case code, title, message
            case errorData = "error_data"
        }
    }

    var id: String
    var status: String
    /// Unix seconds, as a string like Meta's.
    var timestamp: String
    var recipientID: String?
    /// The recipient's BSUID, for a message sent to one.
    var recipientUserID: String?
    var bizOpaqueCallbackData: String?
    var pricing: Pricing?
    var errors: [ErrorObject]?

    enum CodingKeys: String, CodingKey {
        case id, status, timestamp, pricing, errors
        case recipientID = "recipient_id"
        case recipientUserID = "recipient_user_id"
        case bizOpaqueCallbackData = "biz_opaque_callback_data"
    }
}
