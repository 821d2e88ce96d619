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

    public init(id: Int64, channel: String, recipient: String, type: String, payload: String, history: AttemptHistory, createdMillis: Int64) {
        (self.id, self.channel, self.recipient, self.type, self.payload, self.history, self.createdMillis) = (id, channel, recipient, type, payload, history, createdMillis)
    }
}
