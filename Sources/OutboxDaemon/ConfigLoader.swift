import Foundation
import OutboxCore
import OutboxStore
import TOMLKit

/// Reads `wa-outbox.toml` into a `DaemonConfig`. Relative paths are relative to the config
/// file's folder; unknown keys are errors (a typo must not silently fall back to a default);
/// API keys are read from their file or variable here, and nowhere else.
public enum ConfigLoader {
    /// The default config path when neither `--config` nor `--socket` is given.
    public static let defaultPath = "/etc/wa-outbox/wa-outbox.toml"

    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> DaemonConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        let folder = (URL(fileURLWithPath: path).deletingLastPathComponent().path as NSString).standardizingPath
        return try parse(text, path: path, folder: folder, environment: environment)
    }

    public static func parse(_ text: String, path: String, folder: String, environment: [String: String]) throws(ConfigError) -> DaemonConfig {
        let root: JSONValue
        do {
            let table = try TOMLTable(string: text)
            root = try JSONDecoder().decode(JSONValue.self, from: Data(table.convert(to: .json).utf8))
        } catch let error as TOMLParseError {
            throw .syntax(path: path, line: error.source.begin.line, column: error.source.begin.column, reason: error.description)
        } catch {
            throw .unreadable(path: path, reason: "\(error)")
        }
        let top = try Table(root, path: "")
        try top.allowKnown()
        let scheduler = try top.table("scheduler")
        try scheduler.allowKnown()
        let windowMargin = try scheduler.duration("window_margin") ?? RecipientRules().windowMarginMillis
        let daemon = try top.table("daemon")
        try daemon.allowKnown()
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : (folder as NSString).appendingPathComponent(p) }

        let portfolios = try portfolios(top.array("portfolios"))
        var channels: [ChannelConfig] = []
        for (i, value) in try top.array("channels").enumerated() {
            let t = try Table(value, path: "channels[\(i)]")
            var c = try channel(t, resolve: resolve, environment: environment)
            c.rules.windowMarginMillis = windowMargin
            let portfolio = try t.string("portfolio") ?? MessagingLimit.defaultPortfolio
            if let limit = portfolios[portfolio] {
                c.messagingLimit = limit
            } else if portfolio == MessagingLimit.defaultPortfolio {
                c.messagingLimit = .unlimited(portfolio)
            } else {
                throw t.error("portfolio", "'\(portfolio)' is not a [[portfolios]] name (known: \(portfolios.keys.sorted().joined(separator: ", ")))")
            }
            channels.append(c)
        }
        if channels.isEmpty { throw .invalid(key: "channels", reason: "at least one [[channels]] entry is required") }
        var seen = Set<String>()
        for (i, c) in channels.enumerated() where !seen.insert(c.name).inserted {
            throw .invalid(key: "channels[\(i)].name", reason: "'\(c.name)' is used by two channels")
        }

        // A file path is SQLite (relative to the config's folder); a postgresql:// URL is checked
        // here and kept as written (its errors never quote it: it may hold a password).
        let database = try daemon.string("database") ?? "var/outbox.db"
        if PostgresURL.looksLikeURL(database) {
            do throws(PostgresURL.ParseError) { _ = try PostgresURL(parsing: database) } catch { throw .invalid(key: "daemon.database", reason: error.description) }
        }
        var config = DaemonConfig(
            databasePath: PostgresURL.looksLikeURL(database) ? database : resolve(database),
            socketPath: resolve(try daemon.string("socket") ?? "var/wa-outbox.sock"),
            channels: channels)
        for p in Priority.allCases {
            if let ttl = try scheduler.duration("ttl_\(p.rawValue)") { config.defaultTTLMillis[p] = ttl }
        }
        config.logLevel = try daemon.string("log_level", oneOf: ["trace", "debug", "info", "notice", "warning", "error", "critical"]) ?? "info"
        config.drainTimeoutMillis = try daemon.duration("drain_timeout") ?? config.drainTimeoutMillis
        config.listenerDrainTimeoutMillis = try daemon.duration("listener_drain_timeout") ?? config.listenerDrainTimeoutMillis
        config.socketLimits = try listenerLimits(daemon, prefix: "socket_", defaults: config.socketLimits)
        config.logFormat = try daemon.string("log_format", oneOf: LogFormat.allCases.map(\.rawValue)).flatMap(LogFormat.init) ?? config.logFormat

        let submission = try top.table("submission")
        try submission.allowKnown()
        config.submission.maxRequestBytes = try submission.int("max_request_bytes") ?? config.submission.maxRequestBytes
        config.submission.maxBatchBytes = try submission.int("max_batch_bytes") ?? config.submission.maxBatchBytes
        config.submission.maxBatchLines = try submission.int("max_batch_lines") ?? config.submission.maxBatchLines
        config.submission.importLookahead = try submission.int("import_lookahead") ?? config.submission.importLookahead

        let sender = try top.table("sender")
        try sender.allowKnown()
        config.sender.requestTimeoutMillis = try sender.duration("request_timeout") ?? config.sender.requestTimeoutMillis
        config.sender.connectTimeoutMillis = try sender.duration("connect_timeout") ?? config.sender.connectTimeoutMillis
        config.sender.maxInFlight = try sender.int("max_in_flight") ?? config.sender.maxInFlight
        config.sender.pacingGuardMillis = try sender.duration("pacing_guard") ?? config.sender.pacingGuardMillis
        config.sender.unreachableAfter = try sender.int("unreachable_after") ?? config.sender.unreachableAfter
        config.sender.probeMaxIntervalMillis = try sender.duration("probe_max_interval") ?? config.sender.probeMaxIntervalMillis

        let retry = try top.table("retry")
        try retry.allowKnown()
        config.retry.baseDelayMillis = try retry.duration("base_delay") ?? config.retry.baseDelayMillis
        config.retry.maxDelayMillis = try retry.duration("max_delay") ?? config.retry.maxDelayMillis
        config.retry.maxAttempts = try retry.int("max_attempts") ?? config.retry.maxAttempts
        config.retry.maxAgeMillis = try retry.duration("max_age") ?? config.retry.maxAgeMillis
        config.retry.unknownOutcomeWaitMillis = try retry.duration("unknown_outcome_wait") ?? config.retry.unknownOutcomeWaitMillis
        if let action = try retry.string("unknown_outcome", oneOf: ["resend", "fail"]) {
            config.retry.unknownOutcome = RetryPolicy.UnknownOutcomeAction(rawValue: action)!
        }
        if config.retry.maxDelayMillis < config.retry.baseDelayMillis {
            throw .invalid(key: "retry.max_delay", reason: "must not be shorter than retry.base_delay")
        }

        let webhook = try top.table("webhook")
        try webhook.allowKnown()
        config.webhook.listen = try webhook.string("listen")
        if let listen = config.webhook.listen, HostPort(listen) == nil {
            throw .invalid(key: "webhook.listen", reason: "'\(listen)' is not HOST:PORT, e.g. \"127.0.0.1:8088\"")
        }
        if let file = try webhook.string("basic_auth_file") {
            let value = try secretFile(webhook, "basic_auth_file", path: resolve(file))
            guard value.contains(":") else { throw webhook.error("basic_auth_file", "must hold user:password on one line") }
            config.webhook.basicAuth = Secret(value)
        }
        switch (try webhook.string("secret_header"), try webhook.string("secret_file")) {
        case (nil, nil): break
        case (let name?, let file?): config.webhook.secretHeader = (name, Secret(try secretFile(webhook, "secret_file", path: resolve(file))))
        case (nil, _?): throw webhook.error("secret_header", "is required with secret_file (the header's name)")
        case (_?, nil): throw webhook.error("secret_file", "is required with secret_header (a file holding the header's value)")
        }
        config.webhook.allowUnauthenticated = try webhook.bool("allow_unauthenticated") ?? false
        // Whoever reaches the receiver can open windows and settle messages: off loopback it
        // needs credentials, unless the config says explicitly that something in front checks them.
        if let listen = config.webhook.listen, let address = HostPort(listen), !address.isLoopback,
           config.webhook.basicAuth == nil, config.webhook.secretHeader == nil, !config.webhook.allowUnauthenticated {
            throw .invalid(key: "webhook.listen", reason: "'\(listen)' is not a loopback address and neither basic_auth_file nor secret_header is set: anyone who reaches it could open windows and settle messages. Set credentials, or allow_unauthenticated = true if a proxy in front checks them")
        }
        config.webhook.maxBodyBytes = try webhook.int("max_body_bytes") ?? config.webhook.maxBodyBytes
        config.webhook.metrics = try webhook.bool("metrics") ?? config.webhook.metrics
        config.webhook.limits = try listenerLimits(webhook, prefix: "", defaults: config.webhook.limits)
        config.webhook.maxBufferedBytes = try webhook.int("max_buffered_bytes") ?? config.webhook.maxBufferedBytes
        if config.webhook.maxBufferedBytes < config.webhook.maxBodyBytes {
            throw .invalid(key: "webhook.max_buffered_bytes", reason: "must not be smaller than webhook.max_body_bytes")
        }
        config.retention = try retention(top.table("retention"))
        config.subscribers = try subscribers(top.array("subscribers"), resolve: resolve)
        (config.templates, config.marketing) = try templatesAndMarketing(top.table("templates"), top.table("marketing"))
        let cluster = try top.table("cluster")
        try cluster.allowKnown()
        config.cluster.leaseTTLMillis = try cluster.duration("lease_ttl") ?? config.cluster.leaseTTLMillis
        if let name = try cluster.string("name") {
            guard !name.isEmpty, name.utf8.count <= 64, name.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f && $0 != ":" }) else {
                throw cluster.error("name", "must be 1 to 64 printable ASCII characters without spaces or ':'")
            }
            config.cluster.name = name
        }
        return config
    }

    /// A listener's `max_connections`, `idle_timeout` and `read_timeout` (with `prefix`), in
    /// the ranges of `ConfigKeys`.
    static func listenerLimits(_ t: Table, prefix: String, defaults: ListenerLimits) throws(ConfigError) -> ListenerLimits {
        var limits = defaults
        limits.maxConnections = try t.int(prefix + "max_connections") ?? limits.maxConnections
        limits.idleTimeoutMillis = try t.duration(prefix + "idle_timeout") ?? limits.idleTimeoutMillis
        limits.readTimeoutMillis = try t.duration(prefix + "read_timeout") ?? limits.readTimeoutMillis
        return limits
    }

    /// `[[portfolios]]`: each business portfolio's messaging limit, by name.
    static func portfolios(_ values: [JSONValue]) throws(ConfigError) -> [String: MessagingLimit] {
        var out: [String: MessagingLimit] = [:]
        for (i, value) in values.enumerated() {
            let t = try Table(value, path: "portfolios[\(i)]")
            try t.allowKnown()
            guard let name = try t.string("name"), !name.isEmpty else { throw t.error("name", "is required") }
            guard out[name] == nil else { throw t.error("name", "'\(name)' is used by two portfolios") }
            var tier: Int?
            switch t.values["messaging_limit"] {
            case nil: throw t.error("messaging_limit", "is required: 250, 2000, 10000, 100000 or \"unlimited\"")
            case .string("unlimited"): tier = nil
            case .int(let n) where n > 0 && n <= Int64(Int32.max): tier = Int(n)
            default: throw t.error("messaging_limit", "must be a number of recipients (Meta's tiers: 250, 2000, 10000, 100000) or \"unlimited\"")
            }
            let share: Double
            switch t.values["use_up_to"] {
            case nil: share = 0.95
            case .double(let d) where d > 0 && d <= 1: share = d
            case .int(1): share = 1
            default: throw t.error("use_up_to", "must be a share of the limit above 0 and at most 1, e.g. 0.95")
            }
            out[name] = MessagingLimit(portfolio: name, tier: tier, share: share)
        }
        return out
    }

    static func channel(_ t: Table, resolve: (String) -> String, environment: [String: String]) throws(ConfigError) -> ChannelConfig {
        try t.allowKnown()
        guard let name = try t.string("name") else { throw t.error("name", "is required") }
        guard name.range(of: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", options: .regularExpression) != nil else {
            throw t.error("name", "'\(name)' must be 1 to 64 letters, digits, '.', '_' or '-'")
        }
        let api = ChannelAPI(rawValue: try t.string("api", oneOf: ["cloud", "onpremise"]) ?? "cloud")!
        let defaultURL = api == .cloud ? "https://waba-v2.360dialog.io" : "https://waba.360dialog.io"
        var baseURL = try t.string("base_url") ?? defaultURL
        while baseURL.hasSuffix("/") { baseURL.removeLast() }
        guard let url = URL(string: baseURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw t.error("base_url", "'\(baseURL)' is not an http(s) URL")
        }
        // The key travels in a header: plain http only where nobody can listen (a local sandbox or stub).
        if url.scheme == "http", let host = url.host, !(HostPort("\(host):0")?.isLoopback ?? false) {
            throw t.error("base_url", "'\(baseURL)' is plain http to another host: the API key would travel in cleartext; use https")
        }
        let key = try apiKey(t, resolve: resolve, environment: environment)
        var c = ChannelConfig(name: name, api: api, baseURL: baseURL, apiKey: key)
        c.messagesPerSecond = try t.int("messages_per_second") ?? c.messagesPerSecond
        c.phoneNumberID = try t.string("phone_number_id")
        c.enforceWindow = try t.bool("enforce_window") ?? true
        c.maxInFlight = try t.int("max_in_flight")
        c.rules.pairIntervalMillis = try t.duration("pair_interval") ?? c.rules.pairIntervalMillis
        c.rules.holdOnRetry = try t.bool("hold_on_retry") ?? true
        c.healthProbe = try t.bool("health_probe") ?? false
        return c
    }

    /// Reads the key from `api_key_file` (refused when group or others can read it, as ssh
    /// does) or `api_key_env`. The key itself never appears in an error.
    static func apiKey(_ t: Table, resolve: (String) -> String, environment: [String: String]) throws(ConfigError) -> Secret {
        let file = try t.string("api_key_file")
        let env = try t.string("api_key_env")
        switch (file, env) {
        case (nil, nil): throw t.error("api_key_file", "is required (or api_key_env)")
        case (.some, .some): throw t.error("api_key_env", "give api_key_file or api_key_env, not both")
        case (nil, let variable?):
            guard let value = environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
                throw t.error("api_key_env", "the environment variable \(variable) is not set or empty")
            }
            guard !Self.hasControlCharacter(value) else {
                throw t.error("api_key_env", "the environment variable \(variable) holds a control character (a line break, tab, NUL, ...); a key is printable text")
            }
            return Secret(value)
        case (let file?, nil):
            return Secret(try secretFile(t, "api_key_file", path: resolve(file)))
        }
    }

    /// A secret from a file that only its owner may read (refused otherwise, as ssh does).
    /// The file is opened once (no symlink followed, non-blocking so a FIFO cannot hang a
    /// reload) and checked on the open descriptor (a regular file, owned by this user, mode
    /// 0600 or stricter), so nothing can swap it between the check and the read; at most
    /// 64 KiB are read. The secret must be one line of printable text.
    static func secretFile(_ t: Table, _ key: String, path: String) throws(ConfigError) -> String {
        let value: String
        do {
            value = try SecretFile.read(path)
        } catch {
            throw t.error(key, error.description)
        }
        guard !value.isEmpty, !value.contains("\n") else { throw t.error(key, "\(path) must hold the secret alone on one line") }
        guard !hasControlCharacter(value) else {
            throw t.error(key, "\(path) holds a control character (carriage return, tab, NUL, ...); the secret must be printable text on one line")
        }
        return value
    }

    /// True when `text` holds a C0 control character or DEL: such a value in an HTTP header
    /// is refused by the client library, whose error text would then carry it.
    static func hasControlCharacter(_ text: String) -> Bool {
        text.utf8.contains { $0 < 0x20 || $0 == 0x7F }
    }
}

extension ConfigLoader {
    /// Only `[daemon] socket` of a config, for client commands: they need no API key and may
    /// not be allowed to read the key files.
    public static func socketPath(configPath path: String) throws(ConfigError) -> String {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        let folder = (URL(fileURLWithPath: path).deletingLastPathComponent().path as NSString).standardizingPath
        do {
            let table = try TOMLTable(string: text)
            let socket = table["daemon"]?.table?["socket"]?.string ?? "var/wa-outbox.sock"
            return socket.hasPrefix("/") ? socket : (folder as NSString).appendingPathComponent(socket)
        } catch let error as TOMLParseError {
            throw .syntax(path: path, line: error.source.begin.line, column: error.source.begin.column, reason: error.description)
        } catch {
            throw .unreadable(path: path, reason: "\(error)")
        }
    }
}
