/// Counters of `/messages` traffic since start or the last reset.
public struct SandboxStats: Sendable, Codable, Equatable {
    /// Every `/messages` request, whatever the answer (dropped connections included).
    public var requests: Int
    /// Requests answered 2xx.
    public var accepted: Int
    /// Requests answered otherwise or dropped: `requests - accepted`.
    public var refused: Int

    public init(requests: Int, accepted: Int, refused: Int) {
        self.requests = requests
        self.accepted = accepted
        self.refused = refused
    }
}
