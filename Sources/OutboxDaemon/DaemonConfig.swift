import OutboxCore
import OutboxStore

/// Everything `wa-outbox serve` is configured with, loaded once from TOML and passed down.
/// Defaults follow the API's documented limits; `etc/wa-outbox.toml` documents every key.
public struct DaemonConfig: Sendable {
    /// `[daemon] database` as written: a SQLite file (created and migrated at start; resolved
    /// against the config's folder) or a `postgresql://` URL. Read it through `database`.
    public var databasePath: String
    /// Unix socket for submission and queries.
    public var socketPath: String
    /// `info`, `debug`, ... (swift-log levels).
    public var logLevel: String = "info"
    /// One line per event: `logfmt` or `json`.
    public var logFormat = LogFormat.logfmt
    /// How long in-flight requests may take to finish at shutdown before they are cut off.
    public var drainTimeoutMillis: Int64 = 10_000
    /// At shutdown, how long each listener waits for requests in progress before it closes
    /// every connection still open. The webhook receiver and then the socket stop first, so
    /// a stop takes at most twice this plus `drainTimeoutMillis` plus a few commits, whatever
    /// clients do.
    public var listenerDrainTimeoutMillis: Int64 = 3_000
    /// The socket API's connection limits (`[daemon] socket_*`).
    public var socketLimits = ListenerLimits(maxConnections: 1024, readTimeoutMillis: 60_000)
    public var submission = SubmissionLimits()
    public var sender = SenderSettings()
    public var retry = RetryPolicy()
    /// Default time-to-live per priority for messages submitted without `expires_at`.
    public var defaultTTLMillis: [Priority: Int64] = [.high: 600_000]
    /// The webhook receiver: where 360dialog's webhooks arrive and how they authenticate.
    public var webhook = WebhookSettings()
    /// How long finished messages keep their body and their rows (`[retention]`).
    public var retention = RetentionPolicy()
    /// systemd's notification socket (`$NOTIFY_SOCKET`, which `serve` passes in); nil outside systemd.
    public var notifySocket: String?
    public var channels: [ChannelConfig]
    /// Services that receive the event log as signed webhooks (`[[subscribers]]`).
    public var subscribers: [SubscriberConfig] = []
    /// The template catalog's background sync (`[templates]`).
    public var templates = TemplateSyncSettings()
    /// Opt-out words and the rules for marketing templates (`[marketing]`).
    public var marketing = MarketingSettings()
    /// Several daemons on one PostgreSQL database (`[cluster]`).
    public var cluster = ClusterSettings()

    /// Which store `databasePath` names (a URL that does not parse was refused at load).
    public var database: DatabaseLocation { (try? DatabaseLocation(databasePath)) ?? .sqlite(path: databasePath) }

    public init(databasePath: String, socketPath: String, channels: [ChannelConfig]) {
        self.databasePath = databasePath
        self.socketPath = socketPath
        self.channels = channels
    }

    public func channel(named name: String) -> ChannelConfig? { channels.first { $0.name == name } }
}

/// Caps on what one request to the socket may carry.
public struct SubmissionLimits: Sendable {
    /// Largest body of `POST /v1/messages`.
    public var maxRequestBytes = 1 << 20
    /// Largest body of `POST /v1/messages/batch`.
    public var maxBatchBytes = 64 << 20
    /// Most lines in one batch.
    public var maxBatchLines = 10_000
    /// Messages kept queued ahead of each channel's sending from its imports' staged rows
    /// (SQLite; `StagingPlan`): the rest of a large import waits, committed, as staged rows.
    public var importLookahead = 20_000
    public init() {}
}

/// How requests to the API are made.
public struct SenderSettings: Sendable {
    /// Deadline of one request; past it the outcome is unknown.
    public var requestTimeoutMillis: Int64 = 30_000
    public var connectTimeoutMillis: Int64 = 5_000
    /// Requests in flight per channel, at most.
    public var maxInFlight = 64
    /// The pacing's allowance for what the daemon cannot see, network jitter between a
    /// request's write and its arrival at the API: a channel writes at most
    /// `messages_per_second` requests per sliding `1 s + guard`, which costs
    /// `guard / (1 s + guard)` of its throughput (10 ms: 1 %).
    public var pacingGuardMillis: Int64 = 10
    /// Requests in a row that never reached the API (no connection) before the channel is
    /// marked unreachable: it stops claiming and probes until the API answers.
    public var unreachableAfter = 5
    /// Longest wait between probes of an unreachable channel (they start 1 s apart and double).
    public var probeMaxIntervalMillis: Int64 = 30_000
    public init() {}
}

/// One channel: one phone number, one D360-API-KEY.
public struct ChannelConfig: Sendable {
    /// The name submissions use.
    public var name: String
    public var api: ChannelAPI
    /// e.g. `https://waba-v2.360dialog.io`, without a trailing slash.
    public var baseURL: String
    public var apiKey: Secret
    /// Requests started per second at most; 0 means no limit.
    public var messagesPerSecond: Int = 80
    /// Routes Cloud webhooks by `metadata.phone_number_id`.
    public var phoneNumberID: String?
    /// False: only the API judges the 24-hour window.
    public var enforceWindow: Bool {
        get { rules.enforceWindow }
        set { rules.enforceWindow = newValue }
    }
    /// Pair pacing, holding on retries, the window rule.
    public var rules = RecipientRules()
    /// Overrides `[sender] max_in_flight` for this channel.
    public var maxInFlight: Int?
    /// The business portfolio's messaging limit this channel counts against (shared with the
    /// portfolio's other channels); `[[portfolios]]` in the config, unlimited by default.
    public var messagingLimit = MessagingLimit.unlimited(MessagingLimit.defaultPortfolio)
    /// Probe 360dialog's health endpoint in the background (at most every 5 minutes) and show
    /// the answer in `/v1/health`.
    public var healthProbe = false

    public init(name: String, api: ChannelAPI, baseURL: String, apiKey: Secret) {
        self.name = name
        self.api = api
        self.baseURL = baseURL
        self.apiKey = apiKey
    }

    /// The full URL of the send endpoint.
    public var messagesURL: String { baseURL + api.messagesPath }
}

/// The webhook receiver's settings.
public struct WebhookSettings: Sendable {
    /// `host:port` to listen on; nil: no receiver (payloads may still come over the socket).
    public var listen: String?
    /// `user:password` that requests must send as Basic auth, when set.
    public var basicAuth: Secret?
    /// A header every request must carry with this exact value, when set.
    public var secretHeader: (name: String, value: Secret)?
    /// `listen` off loopback without credentials is refused unless this is true (a proxy in
    /// front checks them).
    public var allowUnauthenticated = false
    /// Largest payload accepted (360dialog's can reach 3 MB).
    public var maxBodyBytes = 4 << 20
    /// Also serve `GET /metrics` on the receiver's address (it is always on the socket).
    public var metrics = true
    /// Connection limits of the receiver (`[webhook] idle_timeout`, `read_timeout`, `max_connections`).
    public var limits = ListenerLimits(maxConnections: 4096, readTimeoutMillis: 10_000)
    /// Payload bytes being received at once, at most (over the receiver and `/v1/inbound`
    /// together); a payload that would pass it is answered 503 and comes again later.
    public var maxBufferedBytes = 64 << 20
    public init() {}
}

/// What one listener allows a client, so that no client can hold it hostage: open connections
/// are capped, a kept-alive connection with nothing to do is closed, and so is one whose
/// request does not arrive in time.
public struct ListenerLimits: Sendable, Equatable {
    /// Open connections at most; more wait in the kernel's backlog until one closes.
    public var maxConnections: Int
    /// A connection without a request in progress is closed after this long; it also bounds
    /// the time from connecting (or from the last answer) to a request's complete headers.
    public var idleTimeoutMillis: Int64 = 60_000
    /// From a request's headers to the end of its body, at most; past it the connection is closed.
    public var readTimeoutMillis: Int64

    public init(maxConnections: Int, idleTimeoutMillis: Int64 = 60_000, readTimeoutMillis: Int64) {
        self.maxConnections = maxConnections
        self.idleTimeoutMillis = idleTimeoutMillis
        self.readTimeoutMillis = readTimeoutMillis
    }
}

/// How each channel's template catalog is synced from 360dialog (`[templates]`).
public struct TemplateSyncSettings: Sendable, Equatable {
    /// Time between background syncs of a channel; 0: only `wa-outbox templates sync`.
    public var syncIntervalMillis: Int64 = 3_600_000
    /// Template-list requests per channel per rolling hour, at most (the management API's
    /// hourly budget is 200 per app and WABA; the rest is left to other tools).
    public var requestsPerHour = 60
    /// Templates asked for per request (`limit`).
    public var pageSize = 100
    /// Templates kept per channel, at most; a longer list is cut there (and the sync says so).
    public var maxTemplates = 5_000
    public init() {}
}

/// Opt-outs by keyword or quick-reply payload, and the marketing rules (`[marketing]`).
public struct MarketingSettings: Sendable, Equatable {
    public var policy = MarketingPolicy()
    public var optOutWords = OptOutWords()
    public init() {}
}

/// `[cluster]`: channel leases when several daemons share a PostgreSQL database.
public struct ClusterSettings: Sendable, Equatable {
    /// A lease not seen renewed for this long may be taken over (the failover time, about).
    public var leaseTTLMillis: Int64 = 5_000
    /// This daemon's name in stats (default: the host name).
    public var name: String?
    public init() {}
}
