import Hummingbird

/// Plays 360dialog's health endpoints for a valid key: Cloud `GET /health_status` (every
/// entity `AVAILABLE`) and On-Premise `GET /v1/health` (the gateway `connected`).
struct HealthController: Sendable {
    let state: SandboxState

    func addRoutes(to router: Router<SandboxRequestContext>) {
        router.get("health_status", use: cloud)
        router.get("v1/health", use: onPremise)
    }

    @Sendable func cloud(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        guard let key = request.headers[.d360APIKey], state.accepts(key: key) else {
            return WebhookConfigController.refusal(status: 401, "Invalid api_key")
        }
        let account = FakeAccount(key: key, phoneNumberID: nil)
        return .json(status: 200, body: #"{"health_status":{"can_send_message":"AVAILABLE","entities":[{"entity_type":"PHONE_NUMBER","id":"\#(account.phoneNumberID)","can_send_message":"AVAILABLE"},{"entity_type":"WABA","id":"\#(account.wabaID)","can_send_message":"AVAILABLE"}]},"id":"1"}"#)
    }

    @Sendable func onPremise(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        guard let key = request.headers[.d360APIKey], state.accepts(key: key) else {
            return WebhookConfigController.refusal(status: 401, "Invalid api_key")
        }
        return .json(status: 200, body: #"{"health":{"gateway_status":"connected"},"meta":\#(ResponseRenderer.onPremiseMeta)}"#)
    }
}
