import Foundation
import Hummingbird
import Logging
import NIOCore
import OutboxAPI
import OutboxCore
import OutboxStore
import ServiceLifecycle

/// `POST /webhooks/{channel}` on `[webhook] listen`: checks the credentials, stores the
/// payload durably (group commit) and only then answers 200; processing happens after, in
/// `InboxProcessor`, so the answer stays far under 360dialog's limits.
struct WebhookController: Sendable {
    let inbox: InboxQueue
    let processor: InboxProcessor
    /// Credentials and body cap in force (a reload may change them).
    let live: Box<WebhookSettings>
    /// The channels configured now (a reload changes them).
    let channels: Channels

    var settings: WebhookSettings { live.value }

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("webhooks/:channel", use: receive)
    }

    @Sendable func receive(_ request: Request, context: BasicRequestContext) async throws -> Response {
        guard authorized(request.headers) else {
            return JSONResponse.error(APIErrorBody(.unauthorized, "missing or wrong webhook credentials"))
        }
        let channel = context.parameters.get("channel") ?? ""
        guard channels.runtime(named: channel) != nil else {
            return JSONResponse.error(.notFound, "no channel named '\(channel)' is configured")
        }
        return await storeWebhookPayload(request, channel: channel, source: "webhook", inbox: inbox, processor: processor, limit: settings.maxBodyBytes)
    }

    /// Basic auth and the shared-secret header, each when configured, compared in constant time.
    func authorized(_ headers: HTTPFields) -> Bool {
        let settings = self.settings
        var ok = true
        if let basic = settings.basicAuth {
            let expected = "Basic " + Data(basic.value.utf8).base64EncodedString()
            ok = ok && constantTimeEqual(headers[.authorization] ?? "", expected)
        }
        if let (name, value) = settings.secretHeader {
            let given = headers.first { $0.name.canonicalName == name.lowercased() }?.value ?? ""
            ok = ok && constantTimeEqual(given, value.value)
        }
        return ok
    }
}

/// Stores a webhook payload and answers 200 once it is on disk (shared by the receiver and
/// `POST /v1/inbound` on the socket). With `applyBeforeAnswer` (the relay on the socket) the
/// payload is also processed before the answer, so the windows it opens are open when the
/// caller hears back; the receiver answers 360dialog at once and processes moments later.
func storeWebhookPayload(_ request: Request, channel: String?, source: String, inbox: InboxQueue, processor: InboxProcessor, limit: Int,
                         applyBeforeAnswer: Bool = false) async -> Response {
    // What this body may hold in memory until it is stored: its announced length, or the cap.
    let announced = request.headers[.contentLength].flatMap { Int($0) }.map { min($0, limit) } ?? limit
    guard processor.intake.reserve(announced) else {
        return JSONResponse.error(.unavailable, "too many payloads are being received at once; send it again later")
    }
    defer { processor.intake.release(announced) }
    do {
        let body = try await MessagesController.body(request, limit: limit)
        guard !body.isEmpty else { return JSONResponse.error(.invalidJSON, "the payload is empty") }
        let ids = try await inbox.submit([InboxItem(channel: channel, source: source, body: body)])
        if applyBeforeAnswer {
            do { try await processor.applyNow(ids) } catch {
                // Stored, so not lost: the background processor applies it.
                processor.doorbell.ring()
                return JSONResponse.error(.unavailable, "the payload was stored but not applied yet: \(error)")
            }
        }
        processor.doorbell.ring()
        return JSONResponse.make(["stored": ids.first.map(String.init) ?? ""])
    } catch let e as APIErrorBody {
        return JSONResponse.error(e)
    } catch {
        return JSONResponse.error(.unavailable, "the payload was not stored: \(error)")
    }
}

/// Compares without stopping at the first difference, so timing does not reveal a secret.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var diff = UInt8(x.count == y.count ? 0 : 1)
    for i in 0..<max(x.count, y.count) {
        diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
    }
    return diff == 0
}

enum WebhookReceiver {
    static func application(settings: WebhookSettings, address: HostPort, controller: WebhookController, logger: Logger,
                            metrics: OutboxMetrics, drainMillis: Int64, onListening: @escaping @Sendable (Int) -> Void) -> Listener {
        let router = Router()
        router.add(middleware: WebhookMetricsMiddleware(metrics: metrics, clock: metrics.clock))
        router.add(middleware: JSONErrorMiddleware())
        if settings.metrics { metrics.addRoute(to: router) }
        controller.addRoutes(to: router)
        router.addMethodNotAllowed()
        return Listener(name: "webhook", router: router, address: .hostname(address.host, port: address.port), limits: settings.limits,
                        drainMillis: drainMillis, logger: logger, onServerRunning: { onListening($0.localAddress?.port ?? 0) })
    }
}
