import OutboxCore

/// A message taken from the queue for one request; its row is `sending` from the claim on.
public struct ClaimedMessage: Sendable, Equatable {
    public var id: Int64
    public var channel: String
    public var recipient: String
    public var type: String
    /// The stored `message` object (canonical JSON).
    public var payload: String
    public var history: AttemptHistory
    public var createdMillis: Int64
    /// The channel lease's token the claim was made under (PostgreSQL with several daemons):
    /// the answer is recorded only while the row still carries it, so a stale owner's late
    /// answer changes nothing after the message was claimed again.
    public var claimToken: Int64?

    public init(id: Int64, channel: String, recipient: String, type: String, payload: String, history: AttemptHistory, createdMillis: Int64,
                claimToken: Int64? = nil) {
        (self.id, self.channel, self.recipient, self.type, self.payload, self.history, self.createdMillis) = (id, channel, recipient, type, payload, history, createdMillis)
        self.claimToken = claimToken
    }
}
