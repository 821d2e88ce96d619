import Foundation
import Hummingbird
import Logging
import OutboxCore
import Synchronization

/// The bench's subscriber: a Hummingbird server on loopback that counts the events POSTed to
/// each path and, while `recordLag` is on, how long each waited since it was written (`at`).
final class EventSink: Sendable {
    struct State {
        var received: [String: Int] = [:]
        var lastCursor: [String: Int64] = [:]
        var lags: [String: [Double]] = [:]
        var recordLag = false
    }

    let state = Mutex(State())

    var snapshot: State { state.withLock { $0 } }
    func setRecordLag(_ on: Bool) { state.withLock { $0.recordLag = on; $0.lags = [:] } }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("**") { [self] request, _ -> Response in
            let body = Data((try await request.body.collect(upTo: 64 << 20)).readableBytesView)
            let now = Date().timeIntervalSince1970
            let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any]
            let events = (json?["events"] as? [[String: Any]]) ?? (json.map { [$0] } ?? [])
            var lags: [Double] = []
            let record = state.withLock { $0.recordLag }
            if record {
                for e in events {
                    if let at = e["at"] as? String, let t = Self.parse(at) { lags.append((now - t) * 1000) }
                }
            }
            let last = events.last.flatMap { ($0["cursor"] as? String).flatMap { Int64($0) } }
            state.withLock { s in
                s.received[request.uri.path, default: 0] += events.count
                if let last { s.lastCursor[request.uri.path] = last }
                if record { s.lags[request.uri.path, default: []] += lags }
            }
            return Response(status: .noContent)
        }
        return router
    }

    /// `2026-12-01T23:05:43.123Z` as seconds since 1970. The daemon's own parser: a new
    /// `ISO8601DateFormatter` per event cost the sink more CPU than the daemon spent sending.
    static func parse(_ text: String) -> Double? {
        RFC3339.parse(text).map { Double($0) / 1000 }
    }

    /// Runs the server on `port` in the background until the returned closure stops it.
    func start(port: Int) async -> @Sendable () async -> Void {
        var logger = Logger(label: "sink")
        logger.logLevel = .critical
        let ready = AsyncStream<Void>.makeStream()
        let app = Application(router: router(), configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
                              onServerRunning: { _ in ready.continuation.yield() }, logger: logger)
        let task = Task { try? await app.run() }
        var it = ready.stream.makeAsyncIterator()
        _ = await it.next()
        return { task.cancel(); _ = await task.value }
    }
}
