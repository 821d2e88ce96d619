import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// One HTTP listener (the socket API or the webhook receiver) with `ListenerLimits` applied,
/// and a shutdown bounded whatever its clients do.
///
/// Hummingbird's graceful shutdown closes idle connections at once but waits, with no
/// deadline, for every request in progress; one body trickled in byte by byte would hold the
/// daemon's stop forever (the services after it in the shutdown order never get the signal).
/// So `drain` after the shutdown began every connection still open is closed. (The two
/// listeners stop one after the other: together they take at most twice that.)
struct Listener: Service {
    let application: any Service
    let connections: ConnectionRegistry
    let drain: Duration
    let name: String
    let logger: Logger

    init(name: String, router: Router<BasicRequestContext>, address: BindAddress, limits: ListenerLimits, drainMillis: Int64, logger: Logger,
         onServerRunning: @escaping @Sendable (any Channel) async -> Void) {
        let registry = ConnectionRegistry()
        let readTimeout = TimeAmount.milliseconds(limits.readTimeoutMillis)
        application = Application(
            router: router,
            server: .http1(configuration: .init(
                additionalChannelHandlers: [ConnectionGuard(registry: registry, readTimeout: readTimeout)],
                idleTimeout: .milliseconds(limits.idleTimeoutMillis))),
            configuration: .init(address: address, serverName: "wa-outbox",
                                 availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections, logger: logger)),
            onServerRunning: onServerRunning,
            logger: logger)
        connections = registry
        drain = .milliseconds(drainMillis)
        self.name = name
        self.logger = logger
    }

    /// Connections open now.
    var openConnections: Int { connections.count }

    func run() async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await application.run()
                return true
            }
            group.addTask {
                await closeAtDeadline()
                return false
            }
            // Ends when the application does (a bind failure throws out of here at once).
            while let applicationEnded = try await group.next() {
                if applicationEnded {
                    group.cancelAll()
                    return
                }
            }
        }
    }

    /// Once a shutdown began, waits `drain` (real time, like the idle and read timeouts), then
    /// closes what is still open.
    private func closeAtDeadline() async {
        do {
            try await gracefulShutdown()
            try await Task.sleep(for: drain)
        } catch {
            return
        }
        let n = connections.closeAll()
        if n > 0 {
            logger.warning("listener drain timeout: closing connections still open", metadata: ["listener": "\(name)", "connections": "\(n)"])
        }
    }
}
