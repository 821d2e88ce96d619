/// Meta's webhook envelope, as 360dialog forwards it for Cloud API numbers
/// (WHATSAPP-API.md §6.1): `object`, `entry[].changes[].value` with `metadata` and either
/// `contacts` + `messages` or `statuses`.
struct CloudWebhookPayload: Encodable, Sendable {
    /// One WABA's changes.
    struct Entry: Encodable, Sendable {
        var id: String
        var changes: [Change]
    }

    /// One change of the `messages` field.
    struct Change: Encodable, Sendable {
        var field = "messages"
        var value: Value
    }

    /// The change's content.
    struct Value: Encodable, Sendable {
        var messagingProduct = "whatsapp"
        var metadata: Metadata
        var contacts: [WebhookMessageObject.Contact]?
        var messages: [WebhookMessageObject]?
        var statuses: [WebhookStatusObject]?

        enum CodingKeys: String, CodingKey {
            case metadata, contacts, messages, statuses
            case messagingProduct = "messaging_product"
        }
    }

    /// The business number the change is about.
    struct Metadata: Encodable, Sendable {
        var displayPhoneNumber: String
        var phoneNumberID: String

        enum CodingKeys: String, CodingKey {
            case displayPhoneNumber = "display_phone_number"
            case phoneNumberID = "phone_number_id"
        }
    }

    var object = "whatsapp_business_account"
    var entry: [Entry]

    /// The one-entry, one-change envelope around `value`, for `account`.
    init(account: FakeAccount, value: (inout Value) -> Void) {
        var content = Value(metadata: Metadata(displayPhoneNumber: account.displayPhoneNumber, phoneNumberID: account.phoneNumberID))
        value(&content)
        self.entry = [Entry(id: account.wabaID, changes: [Change(value: content)])]
    }
}
