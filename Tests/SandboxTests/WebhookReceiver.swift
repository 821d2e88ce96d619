import Foundation
import Hummingbird
import Logging
import OutboxCore
import Synchronization
@testable import Sandbox

/// A webhook receiver for tests: a real Hummingbird server on a free loopback port that
/// records every request and answers 200, or 500 to the first `failFirst` requests.
final class WebhookReceiver: Sendable {
    /// One request as received.
    struct Hit: @unchecked Sendable {
        var path: String
        /// Header values by lowercased name.
        var headers: [String: String]
        var body: String
        /// The body's JSON object (empty if none).
        var json: [String: Any]

        /// Cloud's `entry[0].changes[0].value`.
        var cloudValue: [String: Any]? {
            let entry = (json["entry"] as? [[String: Any]])?.first
            return ((entry?["changes"] as? [[String: Any]])?.first)?["value"] as? [String: Any]
        }

        /// The first `statuses` entry, in either format.
        var statusObject: [String: Any]? {
            ((cloudValue?["statuses"] ?? json["statuses"]) as? [[String: Any]])?.first
        }

        /// The status name, or nil for a body without statuses.
        var status: String? { statusObject?["status"] as? String }

        /// The first `messages` entry, in either format.
        var messageObject: [String: Any]? {
            ((cloudValue?["messages"] ?? json["messages"]) as? [[String: Any]])?.first
        }

        /// The first `contacts` entry, in either format.
        var contactObject: [String: Any]? {
            ((cloudValue?["contacts"] ?? json["contacts"]) as? [[String: Any]])?.first
        }
    }

    private let recorded = Mutex<[Hit]>([])
    private let failuresLeft: Mutex<Int>
    let listening = PortAnnouncer()

    init(failFirst: Int = 0) {
        self.failuresLeft = Mutex(failFirst)
    }

    /// Every request so far, in arrival order.
    var hits: [Hit] { recorded.withLock { $0 } }

    /// The requests about one message id (status id or inbound message id).
    func hits(for id: String) -> [Hit] {
        hits.filter { ($0.statusObject?["id"] ?? $0.messageObject?["id"]) as? String == id }
    }

    /// The router: record, then answer 500 while failures are left, else 200.
    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("**") { [self] request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let body = String(buffer: buffer)
            var headers: [String: String] = [:]
            for field in request.headers {
                headers[field.name.canonicalName] = field.value
            }
            let json = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
            recorded.withLock { $0.append(Hit(path: request.uri.path, headers: headers, body: body, json: json)) }
            let fail = failuresLeft.withLock { left in
                defer { left = max(0, left - 1) }
                return left > 0
            }
            return Response(status: fail ? .internalServerError : .ok)
        }
        return router
    }
}

/// Runs a `WebhookReceiver` on a free loopback port for the duration of `body`, which gets
/// the receiver and its URL (`http://127.0.0.1:PORT/webhook`), then stops it.
func withWebhookReceiver<T: Sendable>(
    failFirst: Int = 0,
    _ body: (WebhookReceiver, String) async throws -> T
) async throws -> T {
    let receiver = WebhookReceiver(failFirst: failFirst)
    var logger = Logger(label: "webhook-receiver")
    logger.logLevel = .warning
    let app = Application(
        router: receiver.router(),
        configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0), serverName: nil),
        onServerRunning: { [listening = receiver.listening] channel in listening.announce(channel.localAddress?.port ?? 0) },
        logger: logger
    )
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.run() }
        let port = await receiver.listening.wait()
        let result: Result<T, any Error>
        do {
            result = .success(try await body(receiver, "http://127.0.0.1:\(port)/webhook"))
        } catch {
            result = .failure(error)
        }
        group.cancelAll()
        try? await group.waitForAll()
        return try result.get()
    }
}

/// A receiver and a sandbox whose configuration is built from the receiver's URL.
func withWebhookSandbox<T: Sendable>(
    failFirst: Int = 0,
    clock: any OutboxClock = SystemClock(),
    _ configuration: (String) -> SandboxConfiguration,
    _ body: (SandboxServer, SandboxClient, WebhookReceiver) async throws -> T
) async throws -> T {
    try await withWebhookReceiver(failFirst: failFirst) { receiver, url in
        try await withSandboxServer(configuration(url), clock: clock) { server, client in
            try await body(server, client, receiver)
        }
    }
}
