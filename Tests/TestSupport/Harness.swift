import Foundation
import Logging
import OutboxAPI
import OutboxClient
import OutboxCore
import OutboxDaemon
import Sandbox
import ServiceLifecycle
import WhatsApp

/// Runs the built-in sandbox on a free loopback port (or `port`) for the duration of `body`.
public func withSandbox<T: Sendable>(
    keys: [String: SandboxKey] = [:],
    faults: SandboxFaults = .init(),
    rules: SandboxRules = .init(),
    clock: any OutboxClock = SystemClock(),
    port: Int = 0,
    webhookAttempts: Int = 5,
    _ body: (SandboxServer, _ baseURL: String) async throws -> T
) async throws -> T {
    var logger = Logger(label: "sandbox")
    logger.logLevel = .warning
    var configuration = SandboxConfiguration(host: "127.0.0.1", port: port, keys: keys, faults: faults, rules: rules)
    configuration.webhookAttempts = webhookAttempts
    let server = SandboxServer(configuration: configuration, clock: clock, logger: logger)
    let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        let port = await server.waitUntilListening()
        do {
            let value = try await body(server, "http://127.0.0.1:\(port)")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return value
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}

/// A daemon under test: real SQLite file, real Unix socket, real HTTP.
public struct DaemonHarness: Sendable {
    public let daemon: Daemon
    public let client: DaemonClient
    public let dir: TempDir
    public let config: DaemonConfig

    /// Submits one message over the socket; returns the HTTP status and body.
    public func post(_ path: String, json: String) async throws -> (status: Int, body: [UInt8]) {
        try await client.call(.POST, path, body: Array(json.utf8))
    }

    public func get(_ path: String) async throws -> (status: Int, body: [UInt8]) {
        try await client.call(.GET, path)
    }

    /// Submits a text message and returns its id.
    public func sendText(_ text: String, to: String, channel: String = "main", extra: String = "") async throws -> String {
        let (status, body) = try await post("/v1/messages", json: #"{"channel":"\#(channel)","to":"\#(to)","message":{"type":"text","text":{"body":"\#(text)"}}\#(extra)}"#)
        guard status == 202 || status == 200 else { throw HarnessError("submit answered \(status): \(String(decoding: body, as: UTF8.self))") }
        return try JSONDecoder().decode(SubmitResponse.self, from: Data(body)).id
    }

    public func message(_ id: String) async throws -> MessageDocument {
        let (status, body) = try await get("/v1/messages/\(id)")
        guard status == 200 else { throw HarnessError("status answered \(status)") }
        return try JSONDecoder().decode(MessageDocument.self, from: Data(body))
    }

    public func channels() async throws -> ChannelsDocument {
        let (_, body) = try await get("/v1/channels")
        return try JSONDecoder().decode(ChannelsDocument.self, from: Data(body))
    }

    /// Waits until message `id` is in one of `states`; returns it.
    @discardableResult
    /// The default bound only catches a message that never gets there: on the shared machine a
    /// daemon on PostgreSQL may take seconds to open the connections it starts with.
    public func waitFor(_ id: String, in states: Set<MessageState>, timeoutSeconds: Double = 30) async throws -> MessageDocument {
        var last: MessageDocument?
        let ok = try await eventually(timeoutSeconds: timeoutSeconds) {
            last = try await message(id)
            return states.contains(last!.state)
        }
        guard ok, let last else { throw HarnessError("message \(id) still \(last?.state.rawValue ?? "?"), expected \(states.map(\.rawValue))") }
        return last
    }
}

public struct HarnessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// A channel of a test config.
public struct TestChannel: Sendable {
    public var name: String
    public var key: String
    public var api: ChannelAPI
    public var messagesPerSecond: Int
    public var baseURL: String?

    public init(_ name: String = "main", key: String = "key-main", api: ChannelAPI = .cloud, messagesPerSecond: Int = 0, baseURL: String? = nil) {
        self.name = name
        self.key = key
        self.api = api
        self.messagesPerSecond = messagesPerSecond
        self.baseURL = baseURL
    }
}

/// A config for tests: fast retries, a short unknown-outcome wait, files in `dir`.
public func testConfig(dir: TempDir, baseURL: String, channels: [TestChannel] = [TestChannel()]) -> DaemonConfig {
    let chans = channels.map { c in
        var cc = ChannelConfig(name: c.name, api: c.api, baseURL: c.baseURL ?? baseURL, apiKey: Secret(c.key))
        cc.messagesPerSecond = c.messagesPerSecond
        // Most tests send free-form text to numbers that never wrote: the window rule has its own tests.
        cc.enforceWindow = false
        return cc
    }
    var config = DaemonConfig(databasePath: dir.file("outbox.db"), socketPath: dir.file("s.sock"), channels: chans)
    config.retry.baseDelayMillis = 10
    config.retry.maxDelayMillis = 50
    config.retry.unknownOutcomeWaitMillis = 60_000
    config.sender.requestTimeoutMillis = 15_000
    config.drainTimeoutMillis = 15_000
    // Catalog syncs only where a test asks for them (`templates sync`): most tests send templates
    // the sandbox's catalog does not list.
    config.templates.syncIntervalMillis = 0
    // On PostgreSQL a daemon starts a request only while its lease is trusted: within
    // ttl - margin of its last renewal. A 2 s ttl left a 1 s window, which a loaded machine
    // (the whole suite at once: scheduling lags of seconds, 3 s commits seen in the server's log)
    // kept missing, so sends stalled for 30 s and more. Tests of takeovers set their own ttl;
    // a fresh schema's leases are free and taken at once.
    config.cluster.leaseTTLMillis = 30_000
    return config
}

/// Runs a daemon for the duration of `body`, then stops it gracefully.
public func withDaemon<T: Sendable>(
    _ config: DaemonConfig,
    dir: TempDir,
    clock: any OutboxClock = SystemClock(),
    logger: Logger? = nil,
    transport: (any MessageTransport)? = nil,
    configPath: String? = nil,
    _ body: (DaemonHarness) async throws -> T
) async throws -> T {
    var quiet = Logger(label: "daemon")
    quiet.logLevel = .critical
    if ProcessInfo.processInfo.environment["WAO_TEST_PG_LOG"] != nil, config.databasePath.hasPrefix("postgresql") {
        quiet.logLevel = .info
        quiet[metadataKey: "db"] = "\(config.databasePath.suffix(20))"
    }
    let logger = logger ?? quiet
    let daemon = try await Daemon.build(config: config, configPath: configPath, clock: clock, transport: transport, logger: logger)
    let group = daemon.serviceGroup(gracefulShutdownSignals: [])
    let client = DaemonClient(socketPath: config.socketPath, timeoutSeconds: 30)
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await daemon.run(group) }
        guard await daemon.waitUntilReady() else {
            try await tasks.waitForAll()
            await client.shutdown()
            throw HarnessError("the daemon stopped before it listened")
        }
        let harness = DaemonHarness(daemon: daemon, client: client, dir: dir, config: config)
        do {
            let value = try await body(harness)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            await client.shutdown()
            return value
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            await client.shutdown()
            throw error
        }
    }
}
