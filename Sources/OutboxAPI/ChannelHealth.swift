/// One channel in `GET /v1/health` (`channel_health`).
public struct ChannelHealth: Codable, Sendable, Equatable {
    /// `ok` (sending, or sent in the last minute), `idle` (nothing in flight and nothing
    /// started in the last minute), `paused` (see `pause_reason`) or `unreachable` (requests
    /// do not reach the API; probing until it answers, see `unreachable_reason`).
    public var state: String
    public var pauseReason: String?
    /// While `unreachable`: since when (RFC 3339) and why.
    public var unreachableSince: String?
    public var unreachableReason: String?
    /// When the API last accepted a request of this channel (RFC 3339), nil if never.
    public var lastSentAt: String?
    /// The last probe of 360dialog's health endpoint; nil while `health_probe` is off or before the first.
    public var probe: HealthProbeStatus?

    enum CodingKeys: String, CodingKey {
        case state, pauseReason = "pause_reason", lastSentAt = "last_sent_at", probe
        case unreachableSince = "unreachable_since", unreachableReason = "unreachable_reason"
    }

    public init(state: String, pauseReason: String? = nil, lastSentAt: String? = nil, probe: HealthProbeStatus? = nil) {
        self.state = state
        self.pauseReason = pauseReason
        self.lastSentAt = lastSentAt
        self.probe = probe
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(state, forKey: .state)
        try c.encode(pauseReason, forKey: .pauseReason)
        try c.encode(lastSentAt, forKey: .lastSentAt)
        try c.encode(probe, forKey: .probe)
        try c.encode(unreachableSince, forKey: .unreachableSince)
        try c.encode(unreachableReason, forKey: .unreachableReason)
    }
}

/// What 360dialog's health endpoint said at the last probe (at most one per 5 minutes).
public struct HealthProbeStatus: Codable, Sendable, Equatable {
    /// Cloud: `AVAILABLE`, `LIMITED`, `BLOCKED`; On-Premise: the gateway status (`connected`, ...);
    /// `error` (the probe was refused) or `unreachable`.
    public var status: String
    /// Whether the channel can send by that answer.
    public var ok: Bool
    public var detail: String?
    /// When the probe was made (RFC 3339).
    public var checkedAt: String

    enum CodingKeys: String, CodingKey { case status, ok, detail, checkedAt = "checked_at" }

    public init(status: String, ok: Bool, detail: String?, checkedAt: String) {
        self.status = status
        self.ok = ok
        self.detail = detail
        self.checkedAt = checkedAt
    }
}
