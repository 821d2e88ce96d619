/// A message "from a user" that the sandbox delivers to a key's webhook, as WhatsApp would
/// after the user wrote to the business number. Body of `POST /sandbox/inbound`
/// (snake_case JSON; `type`, `name`, `context_id` and `api` optional) and argument of
/// `SandboxState.simulateInbound(_:)`.
public struct SimulatedInbound: Sendable, Codable, Equatable {
    /// The message types the sandbox can simulate.
    public static let supportedTypes: Set<String> = ["text", "button", "interactive"]

    /// The API key whose number receives the message; its webhook gets it.
    public var key: String
    /// The user's number, e.g. "+4915112345678"; sent as digits (`from`, `wa_id`). Empty for
    /// a user known only by username: then `userID` is required and no number is sent.
    public var from: String
    /// The user's business-scoped user id (BSUID, e.g. "US.13491208655302741918"), sent as
    /// `from_user_id` and `contacts[].user_id`; nil sends none.
    public var userID: String?
    /// The text: `text.body`; the button's payload and text for `button`; the reply's id
    /// and title for `interactive` (a `button_reply`).
    public var text: String
    /// `text` (default), `button` (a template quick reply) or `interactive`.
    public var type: String
    /// The user's profile name; "Sandbox User" when nil.
    public var name: String?
    /// The id of the business message this one replies to (`context.id`), if any.
    public var contextID: String?
    /// The payload format; nil uses the key's `SandboxKey.api` (Cloud when that is nil too).
    public var api: SandboxAPI?

    public init(
        key: String, from: String, text: String, type: String = "text",
        name: String? = nil, contextID: String? = nil, api: SandboxAPI? = nil, userID: String? = nil
    ) {
        self.key = key
        self.from = from
        self.userID = userID
        self.text = text
        self.type = type
        self.name = name
        self.contextID = contextID
        self.api = api
    }

    /// The JSON form uses snake_case keys, like the rest of the control API.
    enum CodingKeys: String, CodingKey {
        case key, from, text, type, name, api
        case contextID = "context_id", userID = "user_id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.key = try c.decode(String.self, forKey: .key)
        self.from = try c.decodeIfPresent(String.self, forKey: .from) ?? ""
        self.userID = try c.decodeIfPresent(String.self, forKey: .userID)
        self.text = try c.decode(String.self, forKey: .text)
        self.type = try c.decodeIfPresent(String.self, forKey: .type) ?? "text"
        self.name = try c.decodeIfPresent(String.self, forKey: .name)
        self.contextID = try c.decodeIfPresent(String.self, forKey: .contextID)
        self.api = try c.decodeIfPresent(SandboxAPI.self, forKey: .api)
    }
}
