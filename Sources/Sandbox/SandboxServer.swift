import Hummingbird
import Logging
import NIOCore
import OutboxCore
import ServiceLifecycle

/// The built-in 360dialog simulator: an HTTP server on loopback that plays the Cloud API
/// (`POST /messages`) and the On-Premise API (`POST /v1/messages`), with injectable faults,
/// a throughput limit per key and opt-in WhatsApp rules (pair limit, customer service
/// window; `SandboxRules`), records what it accepted, and delivers status and inbound
/// webhooks to the URL configured per key (`/v1/configs/webhook`).
///
/// Run it as a `Service` (in a `ServiceGroup`) or call `run()` in a task and cancel that task
/// to stop it. One instance serves one run.
public final class SandboxServer: Service, Sendable {
    public let configuration: SandboxConfiguration
    /// The recorded traffic and the faults in force; shared with the control endpoints.
    public let state: SandboxState
    private let logger: Logger
    private let listening = PortAnnouncer()

    /// - Parameter clock: the sandbox's time (rules, received log, webhook timestamps); tests
    ///   pass a manual clock to move the pair and window rules without sleeping.
    public init(configuration: SandboxConfiguration, clock: any OutboxClock = SystemClock(), logger: Logger) {
        self.configuration = configuration
        self.state = SandboxState(configuration: configuration, clock: clock)
        self.logger = logger
    }

    /// Serves until the task is cancelled or the service group shuts down gracefully. Webhook
    /// deliveries run beside the HTTP server and stop with it; pending ones are dropped.
    public func run() async throws {
        defer {
            listening.announce(0)
            state.webhookQueue.finish()
        }
        let clock = state.clock
        let app = Application(
            router: Self.buildRouter(state: state),
            server: .http1(configuration: .init(additionalChannelHandlers: [ArrivalStamp(clock: clock)])),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: nil
            ),
            onServerRunning: { [listening, logger, configuration] channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("Sandbox listening", metadata: [
                    "sandbox.host": .string(configuration.host), "sandbox.port": .stringConvertible(port),
                ])
                listening.announce(port)
            },
            logger: logger
        )
        let courier = WebhookCourier(state: state, configuration: configuration, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await courier.run() }
            group.addTask { try await app.run() }
            // The HTTP server ends the run (shutdown, cancellation or error); the courier only
            // ends when cancelled, so whichever child returns first, the other is stopped.
            try await group.next()
            group.cancelAll()
        }
    }

    /// The port the server listens on, once it does (useful with port 0); 0 if it stopped
    /// before listening.
    public func waitUntilListening() async -> Int {
        await listening.wait()
    }
}
