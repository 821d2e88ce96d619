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
}
