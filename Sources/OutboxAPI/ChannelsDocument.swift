/// One channel's figures, as `stats` prints them.
public struct ChannelStatus: Codable, Sendable, Equatable {
    public var name: String
    public var api: String
    public var queued: Int
    public var sending: Int
    /// Of `sending`: requests whose outcome is unknown, waiting for a status to settle them.
    public var awaitingSettlement: Int
    public var sent1m: Int
    public var failed1m: Int
    public var sent1h: Int
    public var failed1h: Int
    /// Requests started per second over the last 10 seconds.
    public var rateMps: Double
    /// `messages_per_second`; 0 means no limit.
    public var limitMps: Int
    public var inFlight: Int
    public var paused: Bool
    public var pauseReason: String?
    public var pausedUntil: String?
    public var oldestQueuedAgeSeconds: Double?
    public var enforceWindow: Bool
    /// Recipients of this channel whose 24-hour window is open now.
    public var openWindows: Int?
    /// The business portfolio whose messaging limit this channel counts against.
    public var portfolio: String?
    /// The portfolio's unique recipients reached outside their window in the last 24 h
    /// (shared by every channel of the portfolio).
    public var tierUsed: Int?
    /// The portfolio's messaging limit (Meta's tier); nil: unlimited.
    public var tierLimit: Int?
    /// The spam-rate-limit hold in force (131048): normal and bulk wait, high too from level 2.
    public var spamHold: SpamHoldStatus?
    /// Messages priced today (UTC) by Meta's pricing category, from the statuses' `pricing`.
    public var pricedToday: [String: PricedCount]?
    /// Requests stopped reaching the API (no connection): the channel claims nothing and
    /// probes with backoff until the API answers, then resumes by itself.
    public var unreachable: Bool?
    /// Since when (RFC 3339) and why, while `unreachable`.
    public var unreachableSince: String?
    public var unreachableReason: String?
    /// The channel's template catalog: size, paused templates, last sync (nil before the first).
    public var templates: CatalogStatus?
    /// Several daemons: which one sends the channel (nil on SQLite).
    public var sentBy: ChannelSender?

    enum CodingKeys: String, CodingKey {
        case name, api, queued, sending, awaitingSettlement = "awaiting_settlement", sent1m = "sent_1m", failed1m = "failed_1m"
        case sent1h = "sent_1h", failed1h = "failed_1h", rateMps = "rate_mps", limitMps = "limit_mps", inFlight = "in_flight"
        case paused, pauseReason = "pause_reason", pausedUntil = "paused_until", oldestQueuedAgeSeconds = "oldest_queued_age_s"
        case enforceWindow = "enforce_window", openWindows = "open_windows", portfolio, tierUsed = "tier_used", tierLimit = "tier_limit"
        case spamHold = "spam_hold", pricedToday = "priced_today"
        case unreachable, unreachableSince = "unreachable_since", unreachableReason = "unreachable_reason"
        case templates, sentBy = "sent_by"
    }

    public init(name: String, api: String, queued: Int, sending: Int, awaitingSettlement: Int, sent1m: Int, failed1m: Int,
                sent1h: Int, failed1h: Int, rateMps: Double, limitMps: Int, inFlight: Int, paused: Bool, pauseReason: String?,
                pausedUntil: String?, oldestQueuedAgeSeconds: Double?, enforceWindow: Bool) {
        self.name = name
        self.api = api
        self.queued = queued
        self.sending = sending
        self.awaitingSettlement = awaitingSettlement
        self.sent1m = sent1m
        self.failed1m = failed1m
        self.sent1h = sent1h
        self.failed1h = failed1h
        self.rateMps = rateMps
        self.limitMps = limitMps
        self.inFlight = inFlight
        self.paused = paused
        self.pauseReason = pauseReason
        self.pausedUntil = pausedUntil
        self.oldestQueuedAgeSeconds = oldestQueuedAgeSeconds
        self.enforceWindow = enforceWindow
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(api, forKey: .api)
        try c.encode(queued, forKey: .queued)
        try c.encode(sending, forKey: .sending)
        try c.encode(awaitingSettlement, forKey: .awaitingSettlement)
        try c.encode(sent1m, forKey: .sent1m)
        try c.encode(failed1m, forKey: .failed1m)
        try c.encode(sent1h, forKey: .sent1h)
        try c.encode(failed1h, forKey: .failed1h)
        try c.encode(rateMps, forKey: .rateMps)
        try c.encode(limitMps, forKey: .limitMps)
        try c.encode(inFlight, forKey: .inFlight)
        try c.encode(paused, forKey: .paused)
        try c.encode(pauseReason, forKey: .pauseReason)
        try c.encode(pausedUntil, forKey: .pausedUntil)
        try c.encode(oldestQueuedAgeSeconds, forKey: .oldestQueuedAgeSeconds)
        try c.encode(enforceWindow, forKey: .enforceWindow)
        try c.encode(openWindows, forKey: .openWindows)
        try c.encode(portfolio, forKey: .portfolio)
        try c.encode(tierUsed, forKey: .tierUsed)
        try c.encode(tierLimit, forKey: .tierLimit)
        try c.encode(spamHold, forKey: .spamHold)
        try c.encodeIfPresent(pricedToday, forKey: .pricedToday)
        try c.encode(unreachable ?? false, forKey: .unreachable)
        try c.encode(unreachableSince, forKey: .unreachableSince)
        try c.encode(unreachableReason, forKey: .unreachableReason)
        try c.encodeIfPresent(templates, forKey: .templates)
        try c.encodeIfPresent(sentBy, forKey: .sentBy)
    }
}

/// A channel's template catalog in `stats`.
public struct CatalogStatus: Codable, Sendable, Equatable {
    public var count: Int
    public var paused: Int
    public var syncedAt: String?
    public var lastError: String?

    public init(count: Int, paused: Int, syncedAt: String?, lastError: String?) {
        self.count = count
        self.paused = paused
        self.syncedAt = syncedAt
        self.lastError = lastError
    }

    enum CodingKeys: String, CodingKey { case count, paused, syncedAt = "synced_at", lastError = "last_error" }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(count, forKey: .count)
        try c.encode(paused, forKey: .paused)
        try c.encode(syncedAt, forKey: .syncedAt)
        try c.encode(lastError, forKey: .lastError)
    }
}

/// A channel's spam-rate-limit hold in `stats`.
public struct SpamHoldStatus: Codable, Sendable, Equatable {
    /// 1 for the first limit, higher as it repeats within 24 h.
    public var level: Int
    public var since: String
    public var until: String
    /// The priorities that wait: `normal` and `bulk`, and `high` from level 2.
    public var held: [String]
    public var reason: String

    public init(level: Int, since: String, until: String, held: [String], reason: String) {
        self.level = level
        self.since = since
        self.until = until
        self.held = held
        self.reason = reason
    }
}

/// Messages of one pricing category: all, and how many Meta bills.
public struct PricedCount: Codable, Sendable, Equatable {
    public var messages: Int
    public var billable: Int

    public init(messages: Int, billable: Int) {
        self.messages = messages
        self.billable = billable
    }
}

/// One business portfolio's messaging limit and its use (WHATSAPP-API.md §4.4).
public struct PortfolioStatus: Codable, Sendable, Equatable {
    public var name: String
    /// Unique recipients reached with a template outside their window in the last 24 h.
    public var used: Int
    /// Meta's tier; nil: unlimited.
    public var limit: Int?
    /// How many the daemon reaches before such messages wait (`use_up_to` of the limit).
    public var budget: Int?
    /// When the oldest counted recipient stops counting (a place frees up), if any is counted.
    public var nextFreeAt: String?
    public var channels: [String]

    enum CodingKeys: String, CodingKey { case name, used, limit, budget, nextFreeAt = "next_free_at", channels }

    public init(name: String, used: Int, limit: Int?, budget: Int?, nextFreeAt: String?, channels: [String]) {
        self.name = name
        self.used = used
        self.limit = limit
        self.budget = budget
        self.nextFreeAt = nextFreeAt
        self.channels = channels
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(used, forKey: .used)
        try c.encode(limit, forKey: .limit)
        try c.encode(budget, forKey: .budget)
        try c.encode(nextFreeAt, forKey: .nextFreeAt)
        try c.encode(channels, forKey: .channels)
    }
}

/// `GET /v1/channels`.
public struct ChannelsDocument: Codable, Sendable, Equatable {
    public var channels: [ChannelStatus]
    public var databaseBytes: Int64
    public var portfolios: [PortfolioStatus]?
    /// Retention's policy and its last pass; nil until a pass ran.
    public var retention: RetentionStatus?
    /// Several daemons: every daemon sharing the outbox (nil on SQLite).
    public var daemons: [DaemonStatus]?

    enum CodingKeys: String, CodingKey { case channels, databaseBytes = "database_bytes", portfolios, retention, daemons }

    public init(channels: [ChannelStatus], databaseBytes: Int64, portfolios: [PortfolioStatus]? = nil, retention: RetentionStatus? = nil) {
        self.channels = channels
        self.databaseBytes = databaseBytes
        self.portfolios = portfolios
        self.retention = retention
    }
}

/// `GET /v1/health`.
public struct HealthDocument: Codable, Sendable, Equatable {
    /// "ok", or "degraded" (answered with 503) while the database cannot read or take writes.
    public var status: String
    public var database: String
    /// Why the status is not "ok", for a human; nil when it is.
    public var reason: String?
    public var version: String
    public var startedAt: String
    /// Per channel: "ok" or "paused: REASON" (see `channelHealth` for more).
    public var channels: [String: String]
    /// Per channel: its state, its last successful send and, when probed, 360dialog's view.
    public var channelHealth: [String: ChannelHealth]?
    /// Several daemons: this daemon's id, every daemon's liveness, and who sends each channel.
    public var daemon: String?
    public var daemons: [DaemonStatus]?
    public var sentBy: [String: ChannelSender]?

    enum CodingKeys: String, CodingKey {
        case status, database, reason, version, startedAt = "started_at", channels, channelHealth = "channel_health", daemon, daemons, sentBy = "sent_by"
    }

    public init(status: String, database: String, version: String, startedAt: String, channels: [String: String]) {
        self.status = status
        self.database = database
        self.version = version
        self.startedAt = startedAt
        self.channels = channels
    }
}
