import OutboxCore

/// One key of `wa-outbox.toml`: where it lives, the range a number or duration must keep,
/// and what a reload does with a new value.
struct ConfigKey: Sendable {
    /// What a reload does with a changed value.
    enum Reload: Sendable {
        /// In force at once (reported under `applied`, or per channel under `updated`).
        case live
        /// Kept until a restart (reported under `needs_restart`).
        case restart
    }

    /// `daemon`, `webhook`, ..., `channels`, `portfolios` (the array tables), or "" for the top level.
    let section: String
    let name: String
    /// Inclusive range of a duration key (milliseconds) or of a whole-number key.
    let range: ClosedRange<Int64>?
    let reload: Reload
    /// Whether a reload sees a different value; nil for the keys compared elsewhere
    /// (tables, per-channel keys, and what the loader folds into another key).
    let differs: (@Sendable (DaemonConfig, DaemonConfig) -> Bool)?

    var path: String { section.isEmpty ? name : "\(section).\(name)" }

    init(_ section: String, _ name: String, range: ClosedRange<Int64>? = nil, _ reload: Reload,
         differs: (@Sendable (DaemonConfig, DaemonConfig) -> Bool)? = nil) {
        self.section = section
        self.name = name
        self.range = range
        self.reload = reload
        self.differs = differs
    }
}

/// Every key the config may hold, in one table: the loader's allow-list and ranges, the
/// reload's diff and its needs-restart list all come from here (a test checks that every key
/// of `etc/wa-outbox.toml` is in it, and the other way round).
enum ConfigKeys {
    static let second: Int64 = 1_000, minute: Int64 = 60_000, hour: Int64 = 3_600_000, day: Int64 = 86_400_000
    static let mib: Int64 = 1 << 20

    static let all: [ConfigKey] = top + daemon + submission + sender + retry + scheduler + webhook + retention + portfolios + channels + subscribers + templates + marketing + cluster

    static let top: [ConfigKey] = ["daemon", "submission", "sender", "retry", "webhook", "scheduler", "portfolios", "retention", "channels", "templates", "marketing", "cluster"]
        .map { ConfigKey("", $0, .live) } + [ConfigKey("", "subscribers", .restart) { $0.subscribers != $1.subscribers }]

    static let daemon: [ConfigKey] = [
        ConfigKey("daemon", "database", .restart) { $0.databasePath != $1.databasePath },
        ConfigKey("daemon", "socket", .restart) { $0.socketPath != $1.socketPath },
        ConfigKey("daemon", "log_level", .restart) { $0.logLevel != $1.logLevel },
        ConfigKey("daemon", "log_format", .restart) { $0.logFormat != $1.logFormat },
        ConfigKey("daemon", "drain_timeout", range: 0...hour, .restart) { $0.drainTimeoutMillis != $1.drainTimeoutMillis },
        ConfigKey("daemon", "listener_drain_timeout", range: 100...(10 * minute), .restart) { $0.listenerDrainTimeoutMillis != $1.listenerDrainTimeoutMillis },
        ConfigKey("daemon", "socket_max_connections", range: 1...60_000, .restart) { $0.socketLimits.maxConnections != $1.socketLimits.maxConnections },
        ConfigKey("daemon", "socket_idle_timeout", range: 100...day, .restart) { $0.socketLimits.idleTimeoutMillis != $1.socketLimits.idleTimeoutMillis },
        ConfigKey("daemon", "socket_read_timeout", range: 100...day, .restart) { $0.socketLimits.readTimeoutMillis != $1.socketLimits.readTimeoutMillis },
    ]

    static let submission: [ConfigKey] = [
        ConfigKey("submission", "max_request_bytes", range: 1024...(64 * mib), .restart) { $0.submission.maxRequestBytes != $1.submission.maxRequestBytes },
        ConfigKey("submission", "max_batch_bytes", range: 1024...(1024 * mib), .restart) { $0.submission.maxBatchBytes != $1.submission.maxBatchBytes },
        ConfigKey("submission", "max_batch_lines", range: 1...1_000_000, .restart) { $0.submission.maxBatchLines != $1.submission.maxBatchLines },
        ConfigKey("submission", "import_lookahead", range: 100...100_000_000, .restart) { $0.submission.importLookahead != $1.submission.importLookahead },
    ]

    static let sender: [ConfigKey] = [
        ConfigKey("sender", "request_timeout", range: 100...(10 * minute), .restart) { $0.sender.requestTimeoutMillis != $1.sender.requestTimeoutMillis },
        ConfigKey("sender", "connect_timeout", range: 100...(5 * minute), .restart) { $0.sender.connectTimeoutMillis != $1.sender.connectTimeoutMillis },
        ConfigKey("sender", "max_in_flight", range: 1...10_000, .restart) { $0.sender.maxInFlight != $1.sender.maxInFlight },
        ConfigKey("sender", "pacing_guard", range: 0...200, .restart) { $0.sender.pacingGuardMillis != $1.sender.pacingGuardMillis },
        ConfigKey("sender", "unreachable_after", range: 1...1_000, .restart) { $0.sender.unreachableAfter != $1.sender.unreachableAfter },
        ConfigKey("sender", "probe_max_interval", range: second...hour, .restart) { $0.sender.probeMaxIntervalMillis != $1.sender.probeMaxIntervalMillis },
    ]

    static let retry: [ConfigKey] = [
        ConfigKey("retry", "base_delay", range: 0...hour, .restart) { $0.retry.baseDelayMillis != $1.retry.baseDelayMillis },
        ConfigKey("retry", "max_delay", range: 0...(7 * day), .restart) { $0.retry.maxDelayMillis != $1.retry.maxDelayMillis },
        ConfigKey("retry", "max_attempts", range: 1...1000, .restart) { $0.retry.maxAttempts != $1.retry.maxAttempts },
        ConfigKey("retry", "max_age", range: second...(30 * day), .restart) { $0.retry.maxAgeMillis != $1.retry.maxAgeMillis },
        ConfigKey("retry", "unknown_outcome_wait", range: 0...(7 * day), .restart) { $0.retry.unknownOutcomeWaitMillis != $1.retry.unknownOutcomeWaitMillis },
        ConfigKey("retry", "unknown_outcome", .restart) { $0.retry.unknownOutcome != $1.retry.unknownOutcome },
    ]

    static let scheduler: [ConfigKey] = [
        // Applied per channel (each channel's rules carry it), so reported under the channel.
        ConfigKey("scheduler", "window_margin", range: 0...(12 * hour), .live),
    ] + Priority.allCases.map { p in
        ConfigKey("scheduler", "ttl_\(p.rawValue)", range: second...TimeBounds.horizonMillis, .restart) { $0.defaultTTLMillis[p] != $1.defaultTTLMillis[p] }
    }

    static let webhook: [ConfigKey] = [
        ConfigKey("webhook", "listen", .restart) { $0.webhook.listen != $1.webhook.listen },
        ConfigKey("webhook", "basic_auth_file", .live) { $0.webhook.basicAuth != $1.webhook.basicAuth },
        ConfigKey("webhook", "secret_header", .live) { $0.webhook.secretHeader?.name != $1.webhook.secretHeader?.name },
        ConfigKey("webhook", "secret_file", .live) { $0.webhook.secretHeader?.value != $1.webhook.secretHeader?.value },
        ConfigKey("webhook", "allow_unauthenticated", .live) { $0.webhook.allowUnauthenticated != $1.webhook.allowUnauthenticated },
        ConfigKey("webhook", "max_body_bytes", range: 1024...(64 * mib), .live) { $0.webhook.maxBodyBytes != $1.webhook.maxBodyBytes },
        ConfigKey("webhook", "metrics", .restart) { $0.webhook.metrics != $1.webhook.metrics },
        ConfigKey("webhook", "max_connections", range: 1...60_000, .restart) { $0.webhook.limits.maxConnections != $1.webhook.limits.maxConnections },
        ConfigKey("webhook", "idle_timeout", range: 100...day, .restart) { $0.webhook.limits.idleTimeoutMillis != $1.webhook.limits.idleTimeoutMillis },
        ConfigKey("webhook", "read_timeout", range: 100...day, .restart) { $0.webhook.limits.readTimeoutMillis != $1.webhook.limits.readTimeoutMillis },
        ConfigKey("webhook", "max_buffered_bytes", range: mib...(16 * 1024 * mib), .restart) { $0.webhook.maxBufferedBytes != $1.webhook.maxBufferedBytes },
    ]

    static let retention: [ConfigKey] = [
        ConfigKey("retention", "erase_bodies_after", range: hour...(3650 * day), .restart) { $0.retention.eraseBodiesAfterMillis != $1.retention.eraseBodiesAfterMillis },
        ConfigKey("retention", "delete_after", range: hour...(3650 * day), .restart) { $0.retention.deleteAfterMillis != $1.retention.deleteAfterMillis },
        ConfigKey("retention", "interval", range: second...day, .restart) { $0.retention.intervalMillis != $1.retention.intervalMillis },
        ConfigKey("retention", "batch_size", range: 1...100_000, .restart) { $0.retention.batchSize != $1.retention.batchSize },
    ]

    static let templates: [ConfigKey] = [
        ConfigKey("templates", "sync_interval", range: 0...(7 * day), .restart) { $0.templates.syncIntervalMillis != $1.templates.syncIntervalMillis },
        ConfigKey("templates", "requests_per_hour", range: 1...5_000, .restart) { $0.templates.requestsPerHour != $1.templates.requestsPerHour },
        ConfigKey("templates", "page_size", range: 1...1_000, .restart) { $0.templates.pageSize != $1.templates.pageSize },
        ConfigKey("templates", "max_templates", range: 1...100_000, .restart) { $0.templates.maxTemplates != $1.templates.maxTemplates },
    ]

    static let marketing: [ConfigKey] = [
        ConfigKey("marketing", "limit_hold", range: hour...(30 * day), .restart) { $0.marketing.policy.limitHoldMillis != $1.marketing.policy.limitHoldMillis },
        ConfigKey("marketing", "refuse_us_numbers", .restart) { $0.marketing.policy.refuseUSNumbers != $1.marketing.policy.refuseUSNumbers },
        ConfigKey("marketing", "optout_keywords", .restart) { $0.marketing.optOutWords.keywords != $1.marketing.optOutWords.keywords },
        ConfigKey("marketing", "optout_payloads", .restart) { $0.marketing.optOutWords.payloads != $1.marketing.optOutWords.payloads },
    ]

    static let cluster: [ConfigKey] = [
        ConfigKey("cluster", "lease_ttl", range: second...(5 * minute), .restart) { $0.cluster.leaseTTLMillis != $1.cluster.leaseTTLMillis },
        ConfigKey("cluster", "name", .restart) { $0.cluster.name != $1.cluster.name },
    ]

    /// `[[portfolios]]` keys reach the channels as their messaging limit (reported there as `portfolio`).
    static let portfolios: [ConfigKey] = [
        ConfigKey("portfolios", "name", .live),
        ConfigKey("portfolios", "messaging_limit", range: 1...Int64(Int32.max), .live),
        ConfigKey("portfolios", "use_up_to", .live),
    ]

    /// `[[channels]]` keys all apply live, from the channel's next claim (`Reloader.changedKeys`).
    static let channels: [ConfigKey] = [
        ConfigKey("channels", "name", .live),
        ConfigKey("channels", "api", .live),
        ConfigKey("channels", "base_url", .live),
        ConfigKey("channels", "api_key_file", .live),
        ConfigKey("channels", "api_key_env", .live),
        ConfigKey("channels", "messages_per_second", range: 0...100_000, .live),
        ConfigKey("channels", "phone_number_id", .live),
        ConfigKey("channels", "enforce_window", .live),
        ConfigKey("channels", "max_in_flight", range: 1...10_000, .live),
        ConfigKey("channels", "pair_interval", range: 0...hour, .live),
        ConfigKey("channels", "hold_on_retry", .live),
        ConfigKey("channels", "portfolio", .live),
        ConfigKey("channels", "health_probe", .live),
    ]

    /// `[[subscribers]]`: the list is read at start; any change to it needs a restart (reported as `subscribers`).
    static let subscribers: [ConfigKey] = [
        ConfigKey("subscribers", "name", .restart),
        ConfigKey("subscribers", "url", .restart),
        ConfigKey("subscribers", "secret_file", .restart),
        ConfigKey("subscribers", "types", .restart),
        ConfigKey("subscribers", "channels", .restart),
        ConfigKey("subscribers", "timeout", range: 100...(10 * minute), .restart),
        ConfigKey("subscribers", "give_up_after", range: second...(30 * day), .restart),
        ConfigKey("subscribers", "max_retry_delay", range: 100...hour, .restart),
        ConfigKey("subscribers", "batch_size", range: 1...1_000, .restart),
    ]

    private static let bySection: [String: [String: ConfigKey]] = Dictionary(grouping: all, by: \.section)
        .mapValues { Dictionary(uniqueKeysWithValues: $0.map { ($0.name, $0) }) }

    /// The keys a section may hold (the loader refuses any other).
    static func names(in section: String) -> Set<String> { Set(bySection[section]?.keys.map { $0 } ?? []) }

    static func key(_ section: String, _ name: String) -> ConfigKey? { bySection[section]?[name] }

    /// Global keys whose value differs between two configs, split by what a reload does with them.
    static func changes(old: DaemonConfig, new: DaemonConfig) -> (live: [String], restart: [String]) {
        var live: [String] = [], restart: [String] = []
        for key in all {
            guard let differs = key.differs, differs(old, new) else { continue }
            switch key.reload {
            case .live: live.append(key.path)
            case .restart: restart.append(key.path)
            }
        }
        return (live, restart)
    }
}
