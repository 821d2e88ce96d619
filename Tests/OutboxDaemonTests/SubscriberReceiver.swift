import Foundation
import Hummingbird
import Logging
import OutboxCore
import OutboxDaemon
import Synchronization

/// A subscriber for tests: a real Hummingbird server on loopback that checks the Standard
/// Webhooks signature of every POST, records the cursors it got per path, and can be down
/// (answering 503) or stopped (connection refused) and started again on the same port.
final class SubscriberReceiver: Sendable {
    struct State {
        /// Cursors in arrival order, per request path (re-deliveries included).
        var cursors: [String: [Int64]] = [:]
        var badSignatures = 0
        var requests = 0
        var down = false
    }

    let key: SigningKey
    let state = Mutex(State())
    private let port = Mutex<Int?>(nil)

    init(key: SigningKey) { self.key = key }

    var snapshot: State { state.withLock { $0 } }
    func setDown(_ down: Bool) { state.withLock { $0.down = down } }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("**") { [self] request, _ -> Response in
            let body = Array((try await request.body.collect(upTo: 8 << 20)).readableBytesView)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let id = headers["webhook-id"] ?? ""
            let timestamp = Int64(headers["webhook-timestamp"] ?? "") ?? 0
            let signature = headers["webhook-signature"] ?? ""
            let valid = WebhookSignature.verify(header: signature, id: id, timestampSeconds: timestamp, body: body, key: key)
                && abs(Int64(Date().timeIntervalSince1970) - timestamp) < 300
            let json = try? JSONParser.parse(body)
            let events = json?["events"]?.arrayValue ?? (json.map { [$0] } ?? [])
            let cursors = events.compactMap { $0["cursor"]?.stringValue.flatMap { Int64($0) } }
            let down = state.withLock { s -> Bool in
                s.requests += 1
                if !valid { s.badSignatures += 1 }
                if !s.down { s.cursors[request.uri.path, default: []].append(contentsOf: cursors) }
                return s.down
            }
            return Response(status: down ? .serviceUnavailable : .noContent)
        }
        return router
    }

    /// Runs the server until `stop` is called; `port` 0 picks a free one (kept for restarts).
    func start() async -> (port: Int, stop: @Sendable () async -> Void) {
        var logger = Logger(label: "subscriber")
        logger.logLevel = .critical
        let announced = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router(),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port.withLock { $0 } ?? 0), serverName: nil),
            onServerRunning: { channel in announced.continuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger)
        let task = Task { try? await app.run() }
        var iterator = announced.stream.makeAsyncIterator()
        let p = await iterator.next() ?? 0
        port.withLock { $0 = p }
        return (p, { task.cancel(); _ = await task.value })
    }
}
