/// One inbound message of a webhook's `messages` array, the same in both formats
/// (WHATSAPP-API.md §6.1, §6.2), with its sender's `contacts` entry; nil fields are left out.
struct WebhookMessageObject: Encodable, Sendable {
    /// The `contacts` entry of the sender: profile name and WhatsApp id.
    struct Contact: Encodable, Sendable {
        /// `profile`.
        struct Profile: Encodable, Sendable {
            var name: String
        }

        var profile: Profile
        /// Absent for a user known only by username.
        var waID: String?
        /// The user's BSUID.
        var userID: String?

        enum CodingKeys: String, CodingKey {
            case profile
            case waID = "wa_id"
            case userID = "user_id"
        }
    }

    /// `text` of a text message.
    struct Text: Encodable, Sendable {
        var body: String
    }

    /// `button` of a template quick-reply.
    struct Button: Encodable, Sendable {
        var payload: String
        var text: String
    }

    /// `interactive` of a reply button press.
    struct Interactive: Encodable, Sendable {
        /// `button_reply`.
        struct Reply: Encodable, Sendable {
            var id: String
            var title: String
        }

        var type = "button_reply"
        var buttonReply: Reply

        enum CodingKeys: String, CodingKey {
            case type
            case buttonReply = "button_reply"
        }
    }

    /// `context`: the business message this one answers.
    struct Context: Encodable, Sendable {
        var from: String
        var id: String
    }

    /// The user's number; absent for a user known only by username.
    var from: String?
    /// The user's BSUID (`from_user_id`).
    var fromUserID: String?
    var id: String
    /// Unix seconds, as a string like Meta's.
    var timestamp: String
    var type: String
    var text: Text?
    var button: Button?
    var interactive: Interactive?
    var context: Context?

    enum CodingKeys: String, CodingKey {
        case from, id, timestamp, type, text, button, interactive, context
        case fromUserID = "from_user_id"
    }
}
