import Foundation
import Logging
import OutboxAPI
import OutboxCore
import OutboxStore
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Why a reload was refused; the running config stays in force.
enum ReloadError: Error, Sendable, CustomStringConvertible {
    case noConfigFile
    case config(ConfigError)
    case store(StoreError)

    var description: String {
        switch self {
        case .noConfigFile: "this daemon was not started from a config file; nothing to reload"
        case .config(let e): "\(e)"
        case .store(let e): "cannot read the channels' saved state: \(e)"
        }
    }
}

/// Re-reads the config file the daemon started with (SIGHUP, `POST /v1/reload`) and applies
/// what can change live: channels added (a worker starts) and removed (its worker stops after
/// its in-flight requests; its queue waits in the database), each channel's settings (limits,
/// rules, key: in force from its next claim), the webhook's credentials. What cannot change
/// live (paths, the listen address, global sender and retry settings) is reported and kept.
/// A config that does not load is refused whole, with one error line; nothing changes.
final class Reloader: Sendable {
    let path: String?
    let channels: Channels
    let dispatcher: Dispatcher
    let prober: HealthProber
    /// The webhook receiver's settings in force (credentials and body cap change live).
    let webhook: Box<WebhookSettings>
    let store: any OutboxStore
    let clock: any OutboxClock
    let logger: Logger
    let environment: @Sendable () -> [String: String]
    private let current: Mutex<DaemonConfig>

    init(path: String?, config: DaemonConfig, channels: Channels, dispatcher: Dispatcher, prober: HealthProber, webhook: Box<WebhookSettings>,
         store: any OutboxStore, clock: any OutboxClock, logger: Logger,
         environment: @escaping @Sendable () -> [String: String] = { ProcessInfo.processInfo.environment }) {
        self.path = path
        self.current = Mutex(config)
        self.channels = channels
        self.dispatcher = dispatcher
        self.prober = prober
        self.webhook = webhook
        self.store = store
        self.clock = clock
        self.logger = logger
        self.environment = environment
    }

    /// The config in force: the start config with every change a reload applied.
    var config: DaemonConfig { current.withLock { $0 } }

    /// Reads the config file again and applies it; `source` names who asked, for the log.
    func reload(source: String) async throws(ReloadError) -> ReloadDocument {
        do {
            return try await apply(source: source)
        } catch {
            logger.error("config reload refused; the running config stays", metadata: [
                "source": "\(source)", "config": "\(path ?? "-")", "error": "\(error.description)",
            ])
            throw error
        }
    }

    private func apply(source: String) async throws(ReloadError) -> ReloadDocument {
        guard let path else { throw .noConfigFile }
        let new: DaemonConfig
        do { new = try ConfigLoader.load(path: path, environment: environment()) } catch { throw .config(error) }
        let pauses: [String: ChannelPause]
        let rates: [String: Int]
        do {
            pauses = try await store.pauses()
            rates = try await store.savedRates()
        } catch {
            throw .store(error)
        }
        var added: [ChannelRuntime] = []
        var doc = current.withLock { cfg -> ReloadDocument in
            let old = cfg
            // The key table decides: live keys are applied below, the others wait for a restart.
            let (live, restart) = ConfigKeys.changes(old: old, new: new)
            var doc = ReloadDocument(config: path, needsRestart: restart)
            doc.applied = live
            var effective = old
            effective.channels = new.channels
            effective.webhook.allowUnauthenticated = new.webhook.allowUnauthenticated
            effective.webhook.basicAuth = new.webhook.basicAuth
            effective.webhook.secretHeader = new.webhook.secretHeader
            effective.webhook.maxBodyBytes = new.webhook.maxBodyBytes

            let before = Dictionary(uniqueKeysWithValues: old.channels.map { ($0.name, $0) })
            var runtimes: [ChannelRuntime] = []
            for c in new.channels {
                if let runtime = channels.runtime(named: c.name), let was = before[c.name] {
                    let changes = Self.changedKeys(was, c)
                    if !changes.isEmpty {
                        runtime.update(c)
                        doc.updated[c.name] = changes
                    }
                    runtimes.append(runtime)
                } else {
                    let runtime = ChannelRuntime(config: c, pause: pauses[c.name], savedRate: rates[c.name])
                    runtimes.append(runtime)
                    added.append(runtime)
                    doc.added.append(c.name)
                }
            }
            let names = Set(new.channels.map(\.name))
            doc.removed = old.channels.map(\.name).filter { !names.contains($0) }
            channels.replace(with: runtimes)
            webhook.value = effective.webhook
            cfg = effective
            // Told to the dispatcher under the lock: two reloads at once (SIGHUP and
            // `POST /v1/reload`) reach it in the order they changed the config, so a channel
            // removed by one and added back by the other is never left without a worker.
            for name in doc.removed { dispatcher.stop(channel: name) }
            for runtime in added { dispatcher.start(runtime) }
            return doc
        }
        // A paused channel whose key changed gets its chance: the operator rotated the key
        // (360dialog invalidates the old one); if the cause was another, the next answer pauses it again.
        let now = clock.nowMillis()
        for (name, keys) in doc.updated.sorted(by: { $0.key < $1.key }) where keys.contains("api_key") {
            guard let runtime = channels.runtime(named: name), runtime.pause(nowMillis: now) != nil else { continue }
            do {
                try await store.resume(channel: name, nowMillis: now)
                runtime.setPause(nil)
                doc.resumed.append(name)
            } catch {
                logger.error("cannot resume the channel after its key changed", metadata: ["channel": "\(name)", "error": "\(error)"])
            }
        }
        prober.doorbell.ring()
        log(doc, source: source)
        return doc
    }

    private func log(_ doc: ReloadDocument, source: String) {
        var metadata: Logger.Metadata = ["source": "\(source)", "config": "\(doc.config)"]
        if !doc.added.isEmpty { metadata["added"] = "\(doc.added.joined(separator: ","))" }
        if !doc.removed.isEmpty { metadata["removed"] = "\(doc.removed.joined(separator: ","))" }
        for (name, keys) in doc.updated { metadata["channel.\(name)"] = "\(keys.joined(separator: ","))" }
        if !doc.applied.isEmpty { metadata["applied"] = "\(doc.applied.joined(separator: ","))" }
        if !doc.resumed.isEmpty { metadata["resumed"] = "\(doc.resumed.joined(separator: ","))" }
        logger.info(doc.changed ? "config reloaded" : "config reloaded: nothing changed", metadata: metadata)
        if !doc.needsRestart.isEmpty {
            logger.warning("config keys changed that take effect only after a restart; their old values stay in force",
                           metadata: ["keys": "\(doc.needsRestart.joined(separator: ","))"])
        }
    }

    /// The channel keys whose values differ (names as in the config file; a key shows as `api_key`).
    static func changedKeys(_ a: ChannelConfig, _ b: ChannelConfig) -> [String] {
        var keys: [String] = []
        func check(_ key: String, _ differ: Bool) { if differ { keys.append(key) } }
        check("api", a.api != b.api)
        check("base_url", a.baseURL != b.baseURL)
        check("api_key", a.apiKey != b.apiKey)
        check("messages_per_second", a.messagesPerSecond != b.messagesPerSecond)
        check("phone_number_id", a.phoneNumberID != b.phoneNumberID)
        check("enforce_window", a.rules.enforceWindow != b.rules.enforceWindow)
        check("max_in_flight", a.maxInFlight != b.maxInFlight)
        check("pair_interval", a.rules.pairIntervalMillis != b.rules.pairIntervalMillis)
        check("hold_on_retry", a.rules.holdOnRetry != b.rules.holdOnRetry)
        check("scheduler.window_margin", a.rules.windowMarginMillis != b.rules.windowMarginMillis)
        check("portfolio", a.messagingLimit != b.messagingLimit)
        check("health_probe", a.healthProbe != b.healthProbe)
        if keys.isEmpty, a.rules != b.rules { keys.append("rules") }
        return keys
    }
}

/// Reloads the config on SIGHUP, until the daemon stops.
struct ReloadOnHangup: Service {
    let reloader: Reloader

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            _ = try? await reloader.reload(source: "SIGHUP")
        }
    }
}
