import Hummingbird

extension SandboxServer {
    /// The sandbox's routes: the two send endpoints, the webhook config and the `/sandbox`
    /// control endpoints.
    static func buildRouter(state: SandboxState) -> Router<SandboxRequestContext> {
        let router = Router(context: SandboxRequestContext.self)
        router.post("messages", use: MessagesController(state: state, api: .cloud).send)
        router.post("v1/messages", use: MessagesController(state: state, api: .onpremise).send)
        WebhookConfigController(state: state).addRoutes(to: router)
        TemplateListController(state: state).addRoutes(to: router)
        HealthController(state: state).addRoutes(to: router)
        ControlController(state: state).addRoutes(to: router.group("sandbox"))
        return router
    }
}
