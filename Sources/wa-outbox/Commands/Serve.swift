import ArgumentParser
import Foundation
import Logging
import Metrics
import OutboxDaemon
import Prometheus

/// `wa-outbox serve`: runs the daemon in the foreground.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon in the foreground.",
        discussion: """
            SIGTERM or SIGINT stop it: it stops accepting, lets in-flight requests finish (bounded by [daemon] drain_timeout) and exits 0. \
            SIGHUP (or `wa-outbox reload`) reads the config file again: channels added and removed, keys, limits and rules \
            change without losing anything in flight; a config that does not load is refused and the running one stays.
            """)

    @Option(help: "The config file.")
    var config: String = ConfigLoader.defaultPath

    func run() async throws {
        // SIGHUP's default action ends the process; until the reload handler exists (after
        // migrations and recovery, which can take seconds) a `systemctl reload` must not kill it.
        signal(SIGHUP, SIG_IGN)
        let cfg: DaemonConfig
        do {
            var loaded = try ConfigLoader.load(path: config)
            loaded.notifySocket = ProcessInfo.processInfo.environment["NOTIFY_SOCKET"]
            cfg = loaded
        } catch {
            throw CLIError("\(error)")
        }
        let level = Logger.Level(rawValue: cfg.logLevel) ?? .info
        LoggingSystem.bootstrap { label in LogLineHandler(label: label, format: cfg.logFormat, level: level) }
        // One registry for the daemon's series and anything a library reports through
        // swift-metrics: `GET /metrics` renders both.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        // The socket and database are for the daemon's user and group only.
        umask(0o007)
        let logger = Logger(label: "wa-outbox")
        do {
            let daemon = try await Daemon.build(config: cfg, configPath: URL(fileURLWithPath: config).standardized.path, logger: logger,
                                           metricsRegistry: registry)
            try await Self.run(daemon, notifier: SystemdNotifier(socketPath: cfg.notifySocket))
        } catch let error as DaemonError {
            throw CLIError(error.description)
        }
    }
}
