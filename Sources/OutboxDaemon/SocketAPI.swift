import Hummingbird
import Logging
import OutboxCore
import OutboxStore
import ServiceLifecycle

/// The socket API: HTTP/1.1 and JSON over the daemon's Unix socket.
enum SocketAPI {
    static func application(
        config: DaemonConfig, store: OutboxStore, submitQueue: SubmitQueue, runtimes: [ChannelRuntime],
        clock: any OutboxClock, logger: Logger, onListening: @escaping @Sendable () -> Void
    ) -> any Service {
        let router = buildRouter(config: config, store: store, submitQueue: submitQueue, runtimes: runtimes, clock: clock)
        return Application(
            router: router,
            configuration: .init(address: .unixDomainSocket(path: config.socketPath), serverName: "wa-outbox"),
            onServerRunning: { _ in onListening() },
            logger: logger)
    }

    static func buildRouter(config: DaemonConfig, store: OutboxStore, submitQueue: SubmitQueue, runtimes: [ChannelRuntime],
                            clock: any OutboxClock) -> Router<BasicRequestContext> {
        let router = Router()
        let v1 = router.group("v1")
        MessagesController(
            store: store, submitQueue: submitQueue,
            runtimes: Dictionary(uniqueKeysWithValues: runtimes.map { ($0.name, $0) }),
            limits: config.submission, clock: clock
        ).addRoutes(to: v1)
        ChannelsController(store: store, runtimes: runtimes, clock: clock, startedMillis: clock.nowMillis()).addRoutes(to: v1)
        return router
    }
}
