/// One due message as a claim judges it: the message's own facts, without its body.
///
/// To add a rule that needs another fact (a held template, an opted-out recipient), add a
/// field here with a default that objects to nothing, have each store's candidate query
/// fill it, and add the check to `ClaimPlanner.judge`.
public struct ClaimMessage: Sendable, Equatable {
    public var id: Int64
    public var recipient: String
    /// The message type (`template`, `text`, ...): only templates may leave a closed window.
    public var type: String
    /// When it stops being worth sending (nil: never).
    public var expiresMillis: Int64?
    /// False once retention erased the body of a message that never left.
    public var hasBody: Bool

    public init(id: Int64, recipient: String, type: String, expiresMillis: Int64? = nil, hasBody: Bool = true) {
        self.id = id
        self.recipient = recipient
        self.type = type
        self.expiresMillis = expiresMillis
        self.hasBody = hasBody
    }
}

/// One row of a claim page: a due message with what its recipient's lookups found.
///
/// Pages come in `(due_at, id)` order within one priority. The store reads a recipient's
/// lookups in the page query itself, except when a hold is in force (then `firstID` is nil:
/// the recipient waits anyway, so its lookups are skipped).
public struct ClaimCandidate: Sendable, Equatable {
    public var message: ClaimMessage
    /// What the store knows of the recipient on this channel (nil: nothing yet).
    public var recipient: RecipientState?
    /// The recipient's earliest due queued message of this priority, as the page query saw it;
    /// nil when the lookups were skipped because the recipient is held.
    public var firstID: Int64?
    /// A request to this recipient is still open (a slow answer, an unknown outcome).
    public var open: Bool

    public init(message: ClaimMessage, recipient: RecipientState? = nil, firstID: Int64?, open: Bool = false) {
        self.message = message
        self.recipient = recipient
        self.firstID = firstID
        self.open = open
    }

    public var id: Int64 { message.id }
    public var recipientID: String { message.recipient }
}
