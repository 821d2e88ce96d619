import OutboxCore

/// One finished request and what the policy decided, to be written to the audit trail.
public struct AttemptRecord: Sendable {
    public var message: ClaimedMessage
    public var startedMillis: Int64
    public var latencyMillis: Int64?
    public var result: SendResult
    public var decision: SendDecision
    /// A retry holds later messages to the same recipient until it is due.
    public var holdOnRetry: Bool
    /// Pair pacing: once the API took the message, the next request to this recipient waits
    /// this long after the answer (0: no pacing). The API measures arrivals; an answer comes
    /// after its request arrived, so pacing from the answer cannot be undercut by jitter.
    public var pairIntervalMillis: Int64

    public init(message: ClaimedMessage, startedMillis: Int64, latencyMillis: Int64?, result: SendResult, decision: SendDecision,
                holdOnRetry: Bool = true, pairIntervalMillis: Int64 = 0) {
        self.holdOnRetry = holdOnRetry
        self.pairIntervalMillis = pairIntervalMillis
        self.message = message
        self.startedMillis = startedMillis
        self.latencyMillis = latencyMillis
        self.result = result
        self.decision = decision
    }
}
