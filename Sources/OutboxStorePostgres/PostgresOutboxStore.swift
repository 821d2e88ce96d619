import Foundation
import Logging
import OutboxCore
import OutboxMigrationsPostgres
import OutboxStore
import PostgresNIO
import Synchronization

/// The outbox on PostgreSQL: the same contract as `SQLiteOutboxStore`, for several daemons
/// sharing one database. Each method is one transaction; the claim's rules come from
/// `ClaimPlanner`, as in SQLite.
///
/// The connection pool (`PostgresClient`) runs for as long as the store: `open` starts it and
/// `close` stops it, the way GRDB's pool owns its threads.
public final class PostgresOutboxStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// Where the store connects, without the password (for errors and stats).
    public let location: String
    /// Random id of this database, set at creation; part of `biz_opaque_callback_data`.
    public let instanceID: String
    /// Rung after each of this daemon's commits that wrote to the event log.
    public let eventSignal = EventSignal()
    private let runner: Mutex<Task<Void, Never>?>
    /// Moves committed events into the log in rounds (`EventPublisher`).
    let publisher = EventPublisher()
    private let leftovers = Mutex<Task<Void, Never>?>(nil)
    /// Tasks that hold a pooled connection for the store's life (the sole-daemon lock).
    let holders = Mutex<[Task<Void, Never>]>([])
    /// How long marketing to a recipient waits after a 131049 (`[marketing] limit_hold`).
    let marketingHold = Atomic<Int64>(MarketingPolicy.defaultHoldMillis)
    /// The outbox's size as last measured (`sizeBytes` is synchronous; measuring takes a query).
    let measuredBytes = Atomic<Int64>(0)

    /// Session settings every connection gets: a claim never waits long for a lock, and a
    /// connection that sits in a transaction does not hold locks for long. A daemon frozen
    /// mid-transaction (SIGSTOP, a VM pause) holds the rows it locked until the server ends its
    /// session, 15 s idle in that transaction, or until the daemon taking its channels over ends
    /// its sessions (`fenceOut`). Shorter (3 s was tried) ended live daemons' transactions on
    /// the loaded test machine, where a process can wait seconds for a core between two statements.
    static let sessionParameters: [(String, String)] = [
        ("lock_timeout", "5s"), ("idle_in_transaction_session_timeout", "15s"),
    ]

    private init(client: PostgresClient, runner: Task<Void, Never>, logger: Logger, location: String, instanceID: String) {
        self.client = client
        self.runner = Mutex(runner)
        self.logger = logger
        self.location = location
        self.instanceID = instanceID
        publisher.start { [weak self] in await self?.publishEvents() }
        // Events some daemon committed but did not live to publish: looked for every 2 s, off
        // every other path (the lease keeper's round must stay short).
        leftovers.withLock {
            $0 = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(2))
                    await self?.publishLeftovers()
                }
            }
        }
    }

    /// Connects, migrates (under an advisory lock, so daemons starting together do not race)
    /// and reads or creates the instance id.
    /// - Parameter schema: a schema to create and use instead of `public` (tests give each store
    ///   its own); without it, the URL's `options=-c search_path=...` names one, if any.
    /// - Parameter daemonID: the daemon's id (`LeaseKeeper`): its sessions' `application_name`
    ///   starts with it, so a daemon taking its channels over can end them (`fenceOut`).
    public static func open(_ url: PostgresURL, schema: String? = nil, daemonID: String? = nil,
                            logger: Logger = Logger(label: "wa-outbox.postgres")) async throws(StoreError) -> PostgresOutboxStore {
        let location = url.description
        var config: PostgresClient.Configuration
        if let socket = url.socketPath {
            config = .init(unixSocketPath: socket, username: url.user, password: url.password?.value, database: url.database)
        } else {
            let tls: PostgresClient.Configuration.TLS = switch url.sslMode {
            case .disable, .allow: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require, .verifyCA, .verifyFull: .require(.makeClientConfiguration())
            }
            config = .init(host: url.host ?? "localhost", port: url.port, username: url.user, password: url.password?.value, database: url.database, tls: tls)
        }
        var params = sessionParameters
        params.append(("application_name", applicationName(daemonID: daemonID, url.applicationName)))
        params += url.settings.filter { $0.name != "search_path" || schema == nil }.map { ($0.name, $0.value) }
        let schema = schema ?? url.schema
        if let schema { params.append(("search_path", schema)) }
        config.options.additionalStartupParameters = params
        config.options.connectTimeout = .seconds(Int64(url.connectTimeoutSeconds ?? 5))
        config.options.maximumConnections = 12
        // postgres-nio logs through this logger; its metadata never carries the password.
        let client = PostgresClient(configuration: config, backgroundLogger: logger)
        let runner = Task { await client.run() }
        do {
            // The pool retries a server that does not answer for as long as a query waits: the
            // first one is bounded, so a wrong URL fails the start instead of hanging it.
            let wait = Duration.seconds(Int64(url.connectTimeoutSeconds ?? 5) + 5)
            try await withDeadline(wait, "no connection to PostgreSQL within \(wait)") {
                _ = try await client.query("SELECT 1", logger: logger).collect()
            }
            try await PostgresMigrator.migrate(client, schema: schema, logger: logger)
            let id = try await client.withTransaction(logger: logger) { conn in
                let fresh = String(UInt32.random(in: .min ... .max), radix: 36)
                try await conn.exec("INSERT INTO meta (key, value) VALUES ('instance_id', \(fresh)) ON CONFLICT (key) DO NOTHING", logger: logger)
                let rows = try await conn.query("SELECT value FROM meta WHERE key = 'instance_id'", logger: logger)
                for try await value in rows.decode(String.self) { return value }
                throw StoreError.failed("no instance_id in meta")
            }
            let store = PostgresOutboxStore(client: client, runner: runner, logger: logger, location: location, instanceID: id)
            try await client.withConnection { conn in try await store.measureSize(conn) }
            return store
        } catch {
            runner.cancel()
            if case StoreError.unavailable(let why) = error { throw StoreError.cannotOpen(path: location, reason: why) }
            throw StoreError(postgres: error, opening: location)
        }
    }

    /// "<daemon id> <the URL's application_name or wa-outbox>", within PostgreSQL's 63 bytes.
    static func applicationName(daemonID: String?, _ name: String?) -> String {
        let text = [daemonID, name ?? "wa-outbox"].compactMap { $0 }.joined(separator: " ")
        return String(decoding: text.utf8.prefix(63), as: UTF8.self)
    }

    /// Stops the connection pool. The store is unusable afterwards.
    public func close() {
        publisher.stop()
        leftovers.withLock { $0?.cancel(); $0 = nil }
        holders.withLock { $0.forEach { $0.cancel() }; $0 = [] }
        runner.withLock { $0?.cancel(); $0 = nil }
    }

    deinit { close() }

    /// Names of the migrations applied to this database, in order.
    public func appliedMigrations() async throws(StoreError) -> [String] {
        try await read { conn in
            var names: [String] = []
            for try await name in try await conn.query("SELECT name FROM schema_migrations ORDER BY name", logger: self.logger).decode(String.self) {
                names.append(name)
            }
            return names
        }
    }

    /// Runs `body` in one transaction, mapping failures to `StoreError` (a lost connection, a
    /// lock timeout or a serialization failure is `unavailable`: nothing was stored, retry).
    /// Events the body appended are published after the commit (`publishEvents`).
    func write<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        let pending = PendingEvents()
        let result: T
        do {
            result = try await PendingEvents.$current.withValue(pending) {
                try await client.withConnection { conn in
                    try await conn.transaction(logger: logger) { conn in try await body(conn) }
                }
            }
        } catch {
            throw StoreError(postgres: error)
        }
        if pending.marked { await publisher.published() }
        return result
    }

    /// Runs `body` on one pooled connection, outside a transaction (each statement sees the latest commits).
    func read<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        do {
            return try await client.withConnection { conn in
                try conn.checkOpen()
                return try await body(conn)
            }
        } catch {
            throw StoreError(postgres: error)
        }
    }

    /// A cheap read that proves the database answers.
    public func ping() async throws(StoreError) {
        try await read { conn in _ = try await conn.query("SELECT 1", logger: self.logger).collect() }
    }

    /// The text the daemon puts in `biz_opaque_callback_data` for message `id`.
    public func callbackData(for id: Int64) -> String { CallbackData.text(instanceID: instanceID, messageID: id) }

    /// The message id inside a `biz_opaque_callback_data` of this database, or nil.
    public func messageID(fromCallbackData text: String) -> Int64? {
        CallbackData.messageID(text, instanceID: instanceID)
    }
}

/// Whether the `write` running in this task appended events (set by `notePendingEvents`).
final class PendingEvents: Sendable {
    @TaskLocal static var current: PendingEvents?
    private let flag = Atomic<Bool>(false)
    func mark() { flag.store(true, ordering: .relaxed) }
    var marked: Bool { flag.load(ordering: .relaxed) }
}

/// Runs `body`, failing with `reason` when it takes longer than `limit` (the body is cancelled).
func withDeadline(_ limit: Duration, _ reason: String, _ body: @escaping @Sendable () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw StoreError.unavailable(reason)
        }
        try await group.next()
        group.cancelAll()
    }
}

/// A SQL identifier in double quotes (a schema name from a test, say).
func quoteIdentifier(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
