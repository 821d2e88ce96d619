/// A message the daemon has validated and is about to store: everything the outbox keeps
/// about it before the first attempt.
public struct Submission: Sendable, Equatable {
    public var channel: String
    public var recipient: Recipient
    /// The validated `message` object.
    public private(set) var message: JSONValue
    /// `message` as canonical JSON text (`JSONValue.canonicalText`), written once when the
    /// submission is validated: the store keeps these bytes and compares a resubmission's with
    /// them. Writing them here, on the request's own task, keeps that work off the one writer
    /// that commits every submission (a tenth of its time per row in an import).
    public let payload: String
    /// `message.type`, kept apart for listing and for the window rule.
    public var messageType: String
    public var idempotencyKey: String?
    public var priority: Priority
    /// Not handed to the API before this time (ms since 1970).
    public var notBeforeMillis: Int64?
    /// Expires instead of being sent after this time (ms since 1970).
    public var expiresAtMillis: Int64?
    /// The bulk import this message came from, if any.
    public var importID: String?
    /// The template's category by the channel's synced catalog (`marketing`, ...); nil without
    /// one. Set at the door; the store holds marketing to a recipient under their marketing limit.
    public var templateCategory: String?
    /// A template message's name and language code, read once when it is checked: the store
    /// looks up the template's pause by them for every row, on the one writer.
    public private(set) var templateName: String?
    public private(set) var templateLanguage: String?

    /// Validates every field, naming the one at fault; `to` is a phone number.
    public init(
        channel: String,
        to: String,
        message: JSONValue,
        idempotencyKey: String? = nil,
        priority: Priority = .normal,
        notBeforeMillis: Int64? = nil,
        expiresAtMillis: Int64? = nil,
        importID: String? = nil,
        nowMillis: Int64
    ) throws(ValidationError) {
        try self.init(channel: channel, recipient: try Recipient(parsing: to), message: message, idempotencyKey: idempotencyKey,
                      priority: priority, notBeforeMillis: notBeforeMillis, expiresAtMillis: expiresAtMillis, importID: importID,
                      nowMillis: nowMillis)
    }

    /// Validates every field, naming the one at fault, for a recipient already read (a
    /// number, or a BSUID from a submission's `recipient`).
    public init(
        channel: String,
        recipient: Recipient,
        message: JSONValue,
        idempotencyKey: String? = nil,
        priority: Priority = .normal,
        notBeforeMillis: Int64? = nil,
        expiresAtMillis: Int64? = nil,
        importID: String? = nil,
        nowMillis: Int64
    ) throws(ValidationError) {
        self.channel = channel
        self.recipient = recipient
        do {
            self.messageType = try MessageValidator.validate(message)
        } catch {
            throw error.nested(under: "message")
        }
        self.message = message
        self.payload = message.canonicalText
        if messageType == "template", let template = message["template"] {
            templateName = template["name"]?.stringValue
            templateLanguage = template["language"]?["code"]?.stringValue
        }
        if let key = idempotencyKey {
            guard !key.isEmpty, key.utf8.count <= 256 else {
                throw ValidationError(field: "idempotency_key", "must be 1 to 256 bytes")
            }
        }
        self.idempotencyKey = idempotencyKey
        self.priority = priority
        if let expiresAtMillis, expiresAtMillis <= nowMillis {
            throw ValidationError(field: "expires_at", "is already past")
        }
        // Bounded where it enters: nothing is scheduled past the horizon (TimeBounds), so no
        // stored time can reach the end of the clock's range.
        if let notBeforeMillis, let reason = TimeBounds.checkHorizon(notBeforeMillis, nowMillis: nowMillis) {
            throw ValidationError(field: "not_before", reason)
        }
        if let expiresAtMillis, let reason = TimeBounds.checkHorizon(expiresAtMillis, nowMillis: nowMillis) {
            throw ValidationError(field: "expires_at", reason)
        }
        if let notBeforeMillis, let expiresAtMillis, expiresAtMillis <= notBeforeMillis {
            throw ValidationError(field: "expires_at", "is not after not_before; the message could never be sent")
        }
        self.notBeforeMillis = notBeforeMillis
        self.expiresAtMillis = expiresAtMillis
        self.importID = importID
    }

    /// True for messages the API accepts outside the 24-hour customer service window.
    public var isTemplate: Bool { messageType == "template" }
}
