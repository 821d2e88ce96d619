import Foundation
import Hummingbird
import Logging
import OutboxCore
import OutboxStore
import OutboxStorePostgres
import Prometheus
import ServiceLifecycle
import Synchronization
import UnixSignals
import WhatsApp

/// The daemon, wired: the store, the group-commit queue, the dispatcher and the socket API,
/// in one `ServiceGroup` ordered so that shutdown drains right (the socket stops accepting
/// first, the dispatcher finishes in-flight sends, the queue commits what it holds last).
public final class Daemon: Sendable {
    public let config: DaemonConfig
    public let store: any OutboxStore
    /// The channels configured now; a reload changes them.
    let channels: Channels
    let reloader: Reloader
    let services: [any Service]
    let logger: Logger
    /// Counters, gauges and histograms of this daemon; `GET /metrics` renders them.
    public let metrics: OutboxMetrics
    private let ready = ReadySignal()
    private let webhookPort = Box<Int?>(nil)

    /// Every route of the socket API, "METHOD /path" (the OpenAPI test checks them against the document).
    public let socketRoutes: [String]

    /// The webhook receiver's port once it listens (useful with port 0), else nil.
    public var webhookListeningPort: Int? { webhookPort.value }
    /// SQLite's file lock; nil on PostgreSQL (several daemons share it, under channel leases).
    private let lock: DatabaseLock?
    /// This daemon's side of the channel leases (PostgreSQL); nil on SQLite.
    let keeper: LeaseKeeper?

    /// Opens the database (creating and migrating it), settles what a previous run left
    /// mid-request, and builds the services. Nothing listens until `run`.
    /// - Parameter configPath: the file `config` was read from; SIGHUP and `POST /v1/reload`
    ///   read it again (without one, a reload is refused).
    public static func build(
        config: DaemonConfig,
        configPath: String? = nil,
        clock: any OutboxClock = SystemClock(),
        transport: (any MessageTransport)? = nil,
        logger: Logger,
        metricsRegistry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) async throws -> Daemon {
        try FileManager.default.createDirectory(atPath: (config.socketPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let daemonID = LeaseKeeper.newDaemonID(config.cluster)
        let (store, lock) = try await openStore(config.database, daemonID: daemonID, logger: logger)
        try SocketPath.prepare(config.socketPath)
        store.setMarketingHold(millis: config.marketing.policy.limitHoldMillis)
        let now = clock.nowMillis()
        // With several daemons, what one left mid-request is settled by whoever takes its
        // channel's lease over (a restart has a new daemon id, so it is a takeover too).
        let interrupted = store is any LeaseStore ? 0 : try await store.recoverInterrupted(nowMillis: now, waitMillis: config.retry.unknownOutcomeWaitMillis)
        if interrupted > 0 {
            logger.warning("found messages interrupted mid-request by the last stop; waiting for their status before resending",
                           metadata: ["count": "\(interrupted)", "wait": "\(DurationText.format(milliseconds: config.retry.unknownOutcomeWaitMillis))"])
        }
        let pauses = try await store.pauses()
        let rates = try await store.savedRates()
        let runtimes = config.channels.map { ChannelRuntime(config: $0, pause: pauses[$0.name], savedRate: rates[$0.name]) }
        for seed in try await store.attemptCounts(sinceMillis: now - 3_600_000) {
            runtimes.first { $0.name == seed.channel }?.seed(outcome: seed.outcome, atMillis: seed.at)
        }
        // Channels usually share one host (waba-v2.360dialog.io): the pool holds a connection
        // for every request that may be in flight, so no request waits for a connection.
        let transport = transport ?? HTTPTransport(
            maxConnectionsPerHost: min(4096, config.channels.reduce(0) { $0 + ($1.maxInFlight ?? config.sender.maxInFlight) }),
            connectTimeoutMillis: config.sender.connectTimeoutMillis, clock: clock)
        let subscribers = try await SubscriberService.runtimes(for: config.subscribers, store: store)
        return Daemon(config: config, configPath: configPath, daemonID: daemonID, store: store, runtimes: runtimes, subscribers: subscribers, transport: transport, clock: clock,
                      logger: logger, lock: lock, metrics: (metricsRegistry, try await store.lastEventID()))
    }

    private init(config: DaemonConfig, configPath: String?, daemonID: String, store: any OutboxStore, runtimes: [ChannelRuntime], subscribers: [SubscriberRuntime],
                 transport: any MessageTransport,
                 clock: any OutboxClock, logger: Logger, lock: DatabaseLock?, metrics: (registry: PrometheusCollectorRegistry, eventsAfter: Int64)) {
        self.config = config
        self.store = store
        let channels = Channels(runtimes)
        self.channels = channels
        let metrics = OutboxMetrics(registry: metrics.registry, store: store, clock: clock, eventsAfter: metrics.eventsAfter) { channels.snapshot() }
        self.metrics = metrics
        self.logger = logger
        self.lock = lock
        let submitQueue = SubmitQueue.observed(store: store, clock: clock, metrics: metrics, logger: logger)
        let inboxQueue = InboxQueue(clock: clock) { try await store.storeInbox($0, nowMillis: $1) }
        let catalogs = TemplateCatalogs(store: store)
        let processor = InboxProcessor(store: store, registry: channels, clock: clock, logger: logger, metrics: metrics,
                                       intakeBytes: config.webhook.maxBufferedBytes,
                                       // On PostgreSQL every status costs a few round trips in its
                                       // transaction: 2,000 held rows other daemons wait for for seconds.
                                       maxReportsPerCommit: store is any LeaseStore ? 100 : 2_000, optOutWords: config.marketing.optOutWords,
                                       onCatalogChange: { _ in try? await catalogs.reload() })
        let templateSyncer = TemplateSyncer(channels: channels, store: store, catalogs: catalogs, api: transport as? any AccountAPI,
                                            settings: config.templates, timeoutMillis: config.sender.requestTimeoutMillis, clock: clock, logger: logger)
        let listen = config.webhook.listen.flatMap(HostPort.init)
        // The dispatcher claims nothing before both listeners are bound (a port in use stops
        // the daemon with nothing left `sending`).
        let gate = StartGate(listeners: listen == nil ? 1 : 2)
        let keeper = (store as? any LeaseStore).map {
            LeaseKeeper(store: $0, channels: channels, settings: config.cluster, id: daemonID, connectTimeoutMillis: config.sender.connectTimeoutMillis,
                        unknownWaitMillis: config.retry.unknownOutcomeWaitMillis, subscribers: config.subscribers.map(\.name), clock: clock,
                        logger: logger, metrics: metrics)
        }
        self.keeper = keeper
        if keeper != nil, let leased = store as? any LeaseStore { channels.announce = { names in Task { await leased.announce(names) } } }
        let dispatcher = Dispatcher(channels: channels, store: store, transport: transport, config: config, clock: clock, logger: logger, metrics: metrics,
                                    gate: gate, keeper: keeper)
        let prober = HealthProber(channels: channels, store: store, api: transport as? any AccountAPI,
                                  timeoutMillis: config.sender.requestTimeoutMillis, clock: clock, logger: logger)
        let webhookSettings = Box(config.webhook)
        let reloader = Reloader(path: configPath, config: config, channels: channels, dispatcher: dispatcher, prober: prober,
                                webhook: webhookSettings, store: store, clock: clock, logger: logger)
        self.reloader = reloader
        let expander = StagingExpander(store: store, channels: channels, plan: StagingPlan(lookahead: config.submission.importLookahead),
                                        clock: clock, logger: logger)
        let (socketAPI, routes) = SocketAPI.application(
            config: config, store: store, submitQueue: submitQueue, inbox: (inboxQueue, processor), channels: channels, expander: expander,
            reloader: reloader, accountAPI: transport as? any AccountAPI, subscribers: subscribers, templates: templateSyncer, keeper: keeper, clock: clock, logger: logger, metrics: metrics,
            drainMillis: config.listenerDrainTimeoutMillis, onListening: { [ready] in
                chmod(config.socketPath, 0o660)
                ready.fire(listening: true)
                gate.arrive()
            })
        self.socketRoutes = routes
        // Shutdown runs in reverse: the listeners stop first, the queues commit what they hold last.
        var services: [any Service] = [submitQueue, inboxQueue, processor, expander, dispatcher, prober, templateSyncer, socketAPI, ReloadOnHangup(reloader: reloader)]
        if !subscribers.isEmpty {
            var delivers: (@Sendable (String) -> Bool)?
            if let keeper { delivers = { name in keeper.delivers(subscriber: name) } }
            services.insert(SubscriberService(runtimes: subscribers, store: store, clock: clock, logger: logger, metrics: metrics, delivers: delivers), at: 3)
        }
        if let listen {
            let controller = WebhookController(inbox: inboxQueue, processor: processor, live: webhookSettings, channels: channels)
            services.append(WebhookReceiver.application(settings: config.webhook, address: listen, controller: controller, logger: logger, metrics: metrics,
                                                        drainMillis: config.listenerDrainTimeoutMillis) { [webhookPort] port in
                webhookPort.value = port
                gate.arrive()
            })
        }
        if !config.retention.isOff { services.append(RetentionService(store: store, policy: config.retention, clock: clock, logger: logger)) }
        if config.notifySocket != nil { services.append(SystemdShutdownNotice(notifier: SystemdNotifier(socketPath: config.notifySocket))) }
        if let http = transport as? HTTPTransport { services.insert(TransportShutdown(transport: http), at: 0) }
        self.services = services
    }

    /// A service group over the daemon's services; SIGTERM and SIGINT drain and stop it.
    public func serviceGroup(gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint]) -> ServiceGroup {
        ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: gracefulShutdownSignals,
            logger: logger))
    }

    /// Runs until a signal stops it.
    public func run() async throws {
        logger.info("wa-outbox starting", metadata: [
            "database": "\(config.database)", "socket": "\(config.socketPath)",
            "channels": "\(config.channels.map(\.name).joined(separator: ","))",
        ])
        try await run(serviceGroup())
        logger.info("wa-outbox stopped")
    }

    /// Runs the given group of this daemon's services; whoever waits for readiness is told
    /// when it ends without ever listening.
    public func run(_ group: ServiceGroup) async throws {
        defer { ready.fire(listening: false) }
        try await group.run()
    }

    /// Returns true once the socket listens, false if the daemon stopped before it did.
    @discardableResult
    public func waitUntilReady() async -> Bool { await ready.wait() }
}

/// Shuts the HTTP client down after everything that sends through it has stopped.
struct TransportShutdown: Service {
    let transport: HTTPTransport
    func run() async throws {
        try? await gracefulShutdown()
        await transport.shutdown()
    }
}

/// Fires once, with whether the socket listens; any number of tasks can wait for it.
final class ReadySignal: Sendable {
    private let state = Mutex<(fired: Bool?, waiters: [CheckedContinuation<Bool, Never>])>((nil, []))

    func fire(listening: Bool) {
        let (waiters, value) = state.withLock { s -> ([CheckedContinuation<Bool, Never>], Bool) in
            if s.fired == nil { s.fired = listening }
            defer { s.waiters = [] }
            return (s.waiters, s.fired!)
        }
        for w in waiters { w.resume(returning: value) }
    }

    func wait() async -> Bool {
        await withCheckedContinuation { c in
            let now = state.withLock { s -> Bool? in
                if let f = s.fired { return f }
                s.waiters.append(c)
                return nil
            }
            if let now { c.resume(returning: now) }
        }
    }
}

/// A value shared between tasks, behind a lock.
final class Box<T: Sendable>: Sendable {
    private let storage: Mutex<T>
    init(_ value: T) { storage = Mutex(value) }
    var value: T {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}

extension Daemon {
    /// Opens the store `[daemon] database` names: a SQLite file under an exclusive file lock
    /// (one daemon), or a PostgreSQL database any number of daemons share.
    static func openStore(_ location: DatabaseLocation, daemonID: String, logger: Logger) async throws -> (any OutboxStore, DatabaseLock?) {
        switch location {
        case .sqlite(let path):
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let lock = try DatabaseLock(databasePath: path)
            return (try SQLiteOutboxStore(path: path), lock)
        case .postgres(let url):
            return (try await PostgresOutboxStore.open(url, daemonID: daemonID, logger: logger), nil)
        }
    }
}
