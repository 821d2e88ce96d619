/// A message the daemon has validated and is about to store: everything the outbox keeps
/// about it before the first attempt.
public struct Submission: Sendable, Equatable {
    public var channel: String
    public var recipient: Recipient
    /// The validated `message` object: the tree it was given as, or, for a submission made
    /// from its canonical text (`init(channel:recipient:checkedPayload:...)`, an import's
    /// rows), that text read back, only when asked for. Building the tree of every imported
    /// row was a third of the daemon's mapping of it, and only a catalog check or a listing reads it.
    public var message: JSONValue { given.tree ?? ((try? JSONParser.parse(payload.utf8)) ?? .null) }
    /// The tree `message` was given as, if it was.
    private let given: GivenMessage
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
    /// The import row this is, when it may wait in the import's staging table (SQLite) until
    /// its channel nears it, instead of becoming a message at once: set by the rows endpoint
    /// for a row keyed by its import and number (`imp-<import>-r<row>`). A store without
    /// staging, or a row it will not stage, stores it as a message as before.
    public var stagedRow: Int64?

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
        let type: String
        do {
            type = try MessageValidator.validate(message)
        } catch {
            throw error.nested(under: "message")
        }
        var name: String?, language: String?
        if type == "template", let template = message["template"] {
            name = template["name"]?.stringValue
            language = template["language"]?["code"]?.stringValue
        }
        try self.init(channel: channel, recipient: recipient, given: message, payload: message.canonicalText, messageType: type,
                      templateName: name, templateLanguage: language, idempotencyKey: idempotencyKey, priority: priority,
                      notBeforeMillis: notBeforeMillis, expiresAtMillis: expiresAtMillis, importID: importID, nowMillis: nowMillis)
    }

    /// A message its caller checked as `MessageValidator` would and wrote as canonical text
    /// (`payload`, byte for byte `JSONValue.canonicalText` of the message), with its type and,
    /// for a template, its name and language code: an import's plain template and text rows,
    /// which `RowMapper` writes without building the message's tree (a property test holds
    /// it to what the general initialiser makes of the same row). Every other field is checked here.
    public init(
        channel: String,
        recipient: Recipient,
        checkedPayload payload: String,
        messageType: String,
        templateName: String?,
        templateLanguage: String?,
        idempotencyKey: String? = nil,
        priority: Priority = .normal,
        notBeforeMillis: Int64? = nil,
        expiresAtMillis: Int64? = nil,
        importID: String? = nil,
        nowMillis: Int64
    ) throws(ValidationError) {
        try self.init(channel: channel, recipient: recipient, given: nil, payload: payload, messageType: messageType,
                      templateName: templateName, templateLanguage: templateLanguage, idempotencyKey: idempotencyKey, priority: priority,
                      notBeforeMillis: notBeforeMillis, expiresAtMillis: expiresAtMillis, importID: importID, nowMillis: nowMillis)
    }

    /// The checks after the message's own, in the order their errors are reported.
    private init(
        channel: String, recipient: Recipient, given tree: JSONValue?, payload: String, messageType: String,
        templateName: String?, templateLanguage: String?, idempotencyKey: String?, priority: Priority,
        notBeforeMillis: Int64?, expiresAtMillis: Int64?, importID: String?, nowMillis: Int64
    ) throws(ValidationError) {
        self.channel = channel
        self.recipient = recipient
        self.given = GivenMessage(tree: tree)
        self.payload = payload
        self.messageType = messageType
        self.templateName = templateName
        self.templateLanguage = templateLanguage
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

/// The tree a submission's message was given as, or nil when only its canonical text was.
/// Two are always equal: the payload beside it is the message, compared byte for byte, so a
/// submission made from its text equals the one made from its tree.
private struct GivenMessage: Sendable, Equatable {
    var tree: JSONValue?
    static func == (_: GivenMessage, _: GivenMessage) -> Bool { true }
}
