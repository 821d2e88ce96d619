import OutboxCore
import Foundation
import Hummingbird

/// Plays 360dialog's per-number webhook config, `POST` and `GET /v1/configs/webhook`
/// (WHATSAPP-API.md §6.3), keyed by the `D360-API-KEY` header. Errors use 360dialog's own
/// `meta` shape, like an invalid key on `/messages`.
struct WebhookConfigController: Sendable {
    let state: SandboxState

    /// Largest config body read.
    static let maxBodyBytes = 64 * 1024

    func addRoutes(to router: Router<SandboxRequestContext>) {
        router.post("v1/configs/webhook", use: set)
        router.get("v1/configs/webhook", use: get)
    }

    /// `POST`: `{"url": "...", "headers": {...}}` (headers optional) replaces the key's
    /// webhook; answers `{"url": "..."}`.
    @Sendable func set(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        guard let key = request.headers[.d360APIKey], state.accepts(key: key) else {
            return Self.refusal(status: 401, "Invalid api_key")
        }
        let buffer = try await request.body.collect(upTo: Self.maxBodyBytes)
        guard let webhook = try? JSONDecoder().decode(SandboxWebhook.self, from: Data(buffer.readableBytesView)) else {
            return Self.refusal(status: 400, #"The body must be {"url": "https://...", "headers": {"Name": "value"}}."#)
        }
        if let problem = WebhookURLRule.problem(webhook.url) {
            return Self.refusal(status: 400, problem)
        }
        state.setWebhook(webhook, forKey: key)
        return .json(status: 200, body: WebhookRenderer.encode(["url": webhook.url]))
    }

    /// `GET`: the key's `{"url": "...", "headers": {...}}`, or 404 when none is set.
    @Sendable func get(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        guard let key = request.headers[.d360APIKey], state.accepts(key: key) else {
            return Self.refusal(status: 401, "Invalid api_key")
        }
        guard let webhook = state.webhook(forKey: key) else {
            return Self.refusal(status: 404, "No webhook is configured for this number.")
        }
        return .json(status: 200, body: WebhookRenderer.encode(webhook))
    }

    /// 360dialog's `{"meta":{"success":false,...}}` answer.
    static func refusal(status: Int, _ message: String) -> Response {
        .json(status: status, body: ResponseRenderer.gatewayError(status: status, message: message))
    }
}
