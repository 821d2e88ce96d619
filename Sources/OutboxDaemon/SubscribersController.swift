import Foundation
import Hummingbird
import NIOCore
import OutboxAPI
import OutboxCore
import OutboxStore

/// `/v1/subscribers`: each subscriber's cursor, lag and last error; and a replay from a
/// chosen cursor (the subscriber gets every event after it again, in order).
struct SubscribersController: Sendable {
    let store: any OutboxStore
    let runtimes: [SubscriberRuntime]
    let clock: any OutboxClock

    func addRoutes(to group: RouterGroup<BasicRequestContext>) {
        group.get("subscribers", use: list)
        group.post("subscribers/:name/replay", use: replay)
    }

    @Sendable func list(_ request: Request, context: BasicRequestContext) async throws -> Response {
        do {
            let newest = try await store.newestEventID()
            let now = clock.nowMillis()
            var out: [SubscribersDocument.Subscriber] = []
            for r in runtimes {
                let snap = r.snapshot
                let lag = try await store.countEvents(after: snap.progress.cursor, filter: r.config.filter)
                var lagSeconds = 0.0
                if lag > 0, let first = try await store.events(after: snap.progress.cursor, limit: 1, filter: r.config.filter).events.first {
                    lagSeconds = Double(max(0, now - first.atMillis)) / 1000
                }
                out.append(.init(
                    name: r.name, url: Self.redacted(r.config.url), cursor: String(snap.progress.cursor), newestCursor: String(newest),
                    lag: lag, lagSeconds: lagSeconds, failing: snap.progress.failingSinceMillis != nil,
                    failingSince: snap.progress.failingSinceMillis.map(RFC3339.format), lastError: snap.progress.lastError,
                    lastErrorAt: snap.lastErrorMillis.map(RFC3339.format), lastSuccessAt: snap.progress.lastSuccessMillis.map(RFC3339.format),
                    failures: snap.failures, types: r.config.types.map(\.rawValue), channels: r.config.channels))
            }
            return JSONResponse.make(SubscribersDocument(subscribers: out))
        } catch {
            return JSONResponse.error(.unavailable, "\(error)")
        }
    }

    @Sendable func replay(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let name = context.parameters.get("name") ?? ""
        guard let r = runtimes.first(where: { $0.name == name }) else {
            return JSONResponse.error(.notFound, "no subscriber named '\(name.prefix(64))' is configured", field: "name")
        }
        let bytes: [UInt8]
        do {
            bytes = Array((try await request.body.collect(upTo: 4096)).readableBytesView)
        } catch {
            return JSONResponse.error(.bodyTooLarge, "the body must be a small JSON object: {\"from\": \"CURSOR\"}")
        }
        guard let json = try? JSONParser.parse(bytes), let object = json.objectValue else {
            return JSONResponse.error(.invalidJSON, "the body must be a JSON object: {\"from\": \"CURSOR\"}")
        }
        let from: Int64?
        switch object["from"] {
        case .string(let s)?: from = s.utf8.count <= 19 ? Int64(s) : nil
        case .int(let i)?: from = i
        default: from = nil
        }
        guard let from, from >= 0 else {
            return JSONResponse.error(.invalidField, "from must be a cursor of the event feed (\"0\" replays everything kept)", field: "from")
        }
        r.replay(from: from)
        return JSONResponse.make(ReplayDocument(name: name, cursor: String(from)))
    }

    /// The URL without any user:password it may carry.
    static func redacted(_ url: String) -> String {
        guard var c = URLComponents(string: url), c.password != nil || c.user != nil else { return url }
        c.user = nil
        c.password = nil
        return c.string ?? url
    }
}
