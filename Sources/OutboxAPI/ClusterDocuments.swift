/// Which daemon sends a channel (several daemons on one PostgreSQL database), in `stats`,
/// `/v1/channels` and `/v1/health`. A channel's rates and in-flight figures are those of the
/// daemon that answered; the sender's own are the ones that count.
public struct ChannelSender: Codable, Sendable, Equatable {
    /// The daemon holding the channel's lease (its id: name:pid:random); nil when none does.
    public var daemon: String?
    /// When it took the lease, on its own clock (RFC 3339).
    public var since: String?
    /// The lease's fencing token: +1 at every handover.
    public var token: Int64
    /// Whether the daemon that answered is the sender.
    public var here: Bool
    /// Whether the sender's heartbeat is alive as the answering daemon sees it.
    public var live: Bool

    public init(daemon: String?, since: String?, token: Int64, here: Bool, live: Bool) {
        (self.daemon, self.since, self.token, self.here, self.live) = (daemon, since, token, here, live)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(daemon, forKey: .daemon)
        try c.encode(since, forKey: .since)
        try c.encode(token, forKey: .token)
        try c.encode(here, forKey: .here)
        try c.encode(live, forKey: .live)
    }
}

/// One daemon sharing the outbox, as its heartbeat row says.
public struct DaemonStatus: Codable, Sendable, Equatable {
    public var id: String
    public var host: String
    public var pid: Int
    public var startedAt: String
    /// Its last heartbeat, on its own clock (RFC 3339).
    public var lastBeatAt: String
    /// Whether its heartbeat changed within a lease ttl, on the answering daemon's clock.
    public var live: Bool
    /// Whether it is the daemon that answered.
    public var here: Bool
    /// The channels it holds the lease of.
    public var channels: [String]

    enum CodingKeys: String, CodingKey { case id, host, pid, startedAt = "started_at", lastBeatAt = "last_beat_at", live, here, channels }

    public init(id: String, host: String, pid: Int, startedAt: String, lastBeatAt: String, live: Bool, here: Bool, channels: [String]) {
        (self.id, self.host, self.pid, self.startedAt, self.lastBeatAt, self.live, self.here, self.channels) = (id, host, pid, startedAt, lastBeatAt, live, here, channels)
    }
}
