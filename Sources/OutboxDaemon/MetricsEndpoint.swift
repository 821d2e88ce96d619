import Hummingbird
import NIOCore
import OutboxCore

/// `GET /metrics` in the Prometheus text format, on the socket and on the webhook listener.
extension OutboxMetrics {
    func addRoute(to router: Router<BasicRequestContext>) {
        router.get("metrics") { _, _ -> Response in
            let body = await self.exposition()
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}

/// Counts every delivery to `POST /webhooks/{channel}` by channel and answer, and times the
/// answer (from the request's arrival at the router to the response: the store's group
/// commit included, the network not).
struct WebhookMetricsMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let metrics: OutboxMetrics
    let clock: any OutboxClock

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, request.uri.path.hasPrefix("/webhooks/") else { return try await next(request, context) }
        let start = clock.now()
        let name = String(request.uri.path.dropFirst("/webhooks/".count))
        // Only a configured channel's name becomes a label: a path is the sender's to choose.
        let channel = metrics.channels().contains { $0.name == name } ? name : nil
        do {
            let response = try await next(request, context)
            metrics.webhook(channel: channel, status: Int(response.status.code), nanos: clock.now() - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.webhook(channel: channel, status: Int(status), nanos: clock.now() - start)
            throw error
        }
    }
}
