import Hummingbird
import OutboxAPI
import OutboxCore
import OutboxStore

/// `GET /v1/events`: the event log, oldest first, with a long poll. A consumer that keeps the
/// last `next_cursor` it processed and passes it back as `after` sees every event once, in
/// order, across its own restarts and the daemon's: cursors are ids committed in order.
struct EventsController: Sendable {
    /// The longest `wait` a request may ask for, in seconds; longer asks are refused.
    static let maxWaitSeconds = 60
    static let maxLimit = 1_000

    let store: any OutboxStore
    let clock: any OutboxClock

    func addRoutes(to group: RouterGroup<BasicRequestContext>) {
        group.get("events", use: list)
    }

    /// What a request asks for, checked at the edge.
    struct Query: Equatable {
        var after: Int64 = 0
        var limit = 100
        var waitMillis: Int64 = 0
        var filter = EventFilter()

        /// Reads the query parameters; a bad one is `400 invalid_field` naming it.
        static func parse(_ param: (String) -> String?) throws(APIErrorBody) -> Query {
            var q = Query()
            if let raw = param("after"), !raw.isEmpty {
                guard raw.utf8.count <= 19, let v = Int64(raw), v >= 0 else {
                    throw APIErrorBody(.invalidField, "after must be a cursor from this feed (a non-negative integer), got '\(raw.prefix(40))'", field: "after")
                }
                q.after = v
            }
            if let raw = param("limit") {
                guard raw.utf8.count <= 5, let v = Int(raw), (1...maxLimit).contains(v) else {
                    throw APIErrorBody(.invalidField, "limit must be an integer from 1 to \(maxLimit)", field: "limit")
                }
                q.limit = v
            }
            if let raw = param("wait") {
                guard raw.utf8.count <= 12, let v = Double(raw), v.isFinite, v >= 0, v <= Double(maxWaitSeconds) else {
                    throw APIErrorBody(.invalidField, "wait must be a number of seconds from 0 to \(maxWaitSeconds)", field: "wait")
                }
                q.waitMillis = Int64(v * 1000)
            }
            if let raw = param("type"), !raw.isEmpty {
                guard raw.utf8.count <= 1_000 else { throw APIErrorBody(.invalidField, "type is too long", field: "type") }
                switch EventType.parseList(raw) {
                case .success(let types): q.filter.types = types
                case .failure(let e):
                    throw APIErrorBody(.invalidField, "unknown event type '\(e.name)'; known: \(EventType.allCases.map(\.rawValue).joined(separator: ", "))", field: "type")
                }
            }
            if let raw = param("channel"), !raw.isEmpty {
                guard raw.utf8.count <= 64 else { throw APIErrorBody(.invalidField, "channel is too long", field: "channel") }
                q.filter.channels = [raw]
            }
            return q
        }
    }

    @Sendable func list(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let params = request.uri.queryParameters
        let query: Query
        do {
            query = try Query.parse { name in params.get(name).map { String($0) } }
        } catch let e as APIErrorBody {
            return JSONResponse.error(e)
        } catch {
            return JSONResponse.error(.invalidField, "\(error)")
        }
        let deadline = clock.now() + query.waitMillis * Nanos.perMillisecond
        var after = query.after
        do {
            while true {
                let seen = store.eventSignal.generation
                let page = try await store.events(after: after, limit: query.limit, filter: query.filter)
                if !page.events.isEmpty || clock.now() >= deadline || Task.isCancelled {
                    return JSONResponse.make(bytes: EventJSON.page(page))
                }
                // Filtered-out events still move the cursor: the next read starts past them.
                after = page.nextCursor
                await store.eventSignal.wait(after: seen, until: deadline, clock: clock)
            }
        } catch {
            return JSONResponse.error(.unavailable, "\(error)")
        }
    }
}
