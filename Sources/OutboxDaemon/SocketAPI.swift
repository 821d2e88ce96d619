import Hummingbird
import Logging
import OutboxCore
import OutboxStore
import WhatsApp
import ServiceLifecycle

/// The socket API: HTTP/1.1 and JSON over the daemon's Unix socket.
enum SocketAPI {
    static func application(
        config: DaemonConfig, store: any OutboxStore, submitQueue: SubmitQueue, inbox: (InboxQueue, InboxProcessor), channels: Channels, expander: StagingExpander? = nil,
        reloader: Reloader, accountAPI: (any AccountAPI)?, subscribers: [SubscriberRuntime] = [], templates: TemplateSyncer? = nil,
        keeper: LeaseKeeper? = nil, clock: any OutboxClock, logger: Logger, metrics: OutboxMetrics,
        drainMillis: Int64, onListening: @escaping @Sendable () -> Void
    ) -> (service: any Service, routes: [String]) {
        let router = buildRouter(config: config, store: store, submitQueue: submitQueue, inbox: inbox, channels: channels, expander: expander, reloader: reloader,
                                 accountAPI: accountAPI, subscribers: subscribers, templates: templates, keeper: keeper, clock: clock)
        metrics.addRoute(to: router)
        // The routes as written (before the 405 answers fill in every other method).
        let routes = router.routes.map { "\($0.method) \($0.path)" }.sorted()
        router.addMethodNotAllowed()
        let listener = Listener(name: "socket", router: router, address: .unixDomainSocket(path: config.socketPath), limits: config.socketLimits,
                                drainMillis: drainMillis, logger: logger, onServerRunning: { _ in onListening() })
        return (listener, routes)
    }

    static func buildRouter(config: DaemonConfig, store: any OutboxStore, submitQueue: SubmitQueue, inbox: (InboxQueue, InboxProcessor),
                            channels: Channels, expander: StagingExpander? = nil, reloader: Reloader, accountAPI: (any AccountAPI)?, subscribers: [SubscriberRuntime] = [],
                            templates: TemplateSyncer? = nil, keeper: LeaseKeeper? = nil, clock: any OutboxClock) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: JSONErrorMiddleware())
        let v1 = router.group("v1")
        MessagesController(
            store: store, submitQueue: submitQueue,
            registry: channels,
            limits: config.submission, defaultTTLMillis: config.defaultTTLMillis, clock: clock, inbox: inbox.1,
            catalogs: templates?.catalogs, marketing: config.marketing.policy, expander: expander
        ).addRoutes(to: v1)
        if let templates { TemplatesController(store: store, registry: channels, syncer: templates, clock: clock).addRoutes(to: v1) }
        OptOutsController(store: store, registry: channels, clock: clock).addRoutes(to: v1)
        ChannelsController(store: store, registry: channels, clock: clock, startedMillis: clock.nowMillis(), keeper: keeper).addRoutes(to: v1)
        ImportsController(store: store, clock: clock).addRoutes(to: v1)
        WebhookConfigController(registry: channels, api: accountAPI, timeoutMillis: config.sender.requestTimeoutMillis).addRoutes(to: v1)
        ReloadController(reloader: reloader).addRoutes(to: v1)
        EventsController(store: store, clock: clock).addRoutes(to: v1)
        SubscribersController(store: store, runtimes: subscribers, clock: clock).addRoutes(to: v1)
        OpenAPIController().addRoutes(to: v1)
        // Webhook payloads relayed by a deployment whose public endpoint lives elsewhere.
        v1.post("inbound") { request, _ -> Response in
            let channel = request.uri.queryParameters.get("channel").map { String($0) }
            if let channel, channels.runtime(named: channel) == nil {
                return JSONResponse.error(.unknownChannel, "no channel named '\(channel)' is configured", field: "channel")
            }
            return await storeWebhookPayload(request, channel: channel, source: "socket", inbox: inbox.0, processor: inbox.1, limit: config.webhook.maxBodyBytes,
                                             applyBeforeAnswer: true)
        }
        return router
    }
}
