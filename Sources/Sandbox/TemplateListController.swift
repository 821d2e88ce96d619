import Hummingbird
import OutboxCore

/// Plays 360dialog's template list, `GET /v1/configs/templates?limit=&offset=` (WHATSAPP-API.md
/// §7), keyed by the `D360-API-KEY` header: one page of the sandbox's catalog in 360dialog's
/// shape (`waba_templates`, `count`, `total`, `offset`, `limit`).
struct TemplateListController: Sendable {
    let state: SandboxState

    func addRoutes(to router: Router<SandboxRequestContext>) {
        router.get("v1/configs/templates", use: list)
    }

    @Sendable func list(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        guard let key = request.headers[.d360APIKey], state.accepts(key: key) else {
            return WebhookConfigController.refusal(status: 401, "Invalid api_key")
        }
        state.templateLists.add(1, ordering: .relaxed)
        let q = request.uri.queryParameters
        let limit = q.get("limit").flatMap { Int($0) }.map { min(max($0, 1), 1_000) } ?? 1_000
        let offset = q.get("offset").flatMap { Int($0) }.map { max($0, 0) } ?? 0
        return .json(status: 200, body: state.catalog().page(limit: limit, offset: offset).canonicalText)
    }
}
