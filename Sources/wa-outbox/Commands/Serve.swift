import ArgumentParser
import Foundation
import Logging
import OutboxDaemon

/// `wa-outbox serve`: runs the daemon in the foreground.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon in the foreground.",
        discussion: "SIGTERM or SIGINT stop it: it stops accepting, lets in-flight requests finish (bounded by [daemon] drain_timeout) and exits 0.")

    @Option(help: "The config file.")
    var config: String = ConfigLoader.defaultPath

    func run() async throws {
        let cfg: DaemonConfig
        do {
            var loaded = try ConfigLoader.load(path: config)
            loaded.notifySocket = ProcessInfo.processInfo.environment["NOTIFY_SOCKET"]
            cfg = loaded
        } catch {
            throw CLIError("\(error)")
        }
        let level = Logger.Level(rawValue: cfg.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        // The socket and database are for the daemon's user and group only.
        umask(0o007)
        let logger = Logger(label: "wa-outbox")
        do {
            let daemon = try await Daemon.build(config: cfg, logger: logger)
            try await Self.run(daemon, notifier: SystemdNotifier(socketPath: cfg.notifySocket))
        } catch let error as DaemonError {
            throw CLIError(error.description)
        }
    }
}
