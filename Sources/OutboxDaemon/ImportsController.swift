import Hummingbird
import OutboxCore
import OutboxStore

/// `/v1/imports/{id}`: the messages of one bulk import as a group, counted per state or
/// cancelled together (`wa-outbox cancel --import ID`).
struct ImportsController: Sendable {
    let store: OutboxStore
    let clock: any OutboxClock

    /// `GET /v1/imports/{id}`.
    struct StatesDocument: Encodable {
        var importID: String
        /// Every state, zeros included, so scripts can read any of them.
        var states: [String: Int]
        var total: Int
        enum CodingKeys: String, CodingKey { case importID = "import_id", states, total }
    }

    /// `DELETE /v1/imports/{id}`.
    struct CancelDocument: Encodable {
        var importID: String
        var cancelled: Int
        enum CodingKeys: String, CodingKey { case importID = "import_id", cancelled }
    }

    func addRoutes(to group: RouterGroup<BasicRequestContext>) {
        group.get("imports/:id", use: states)
        group.delete("imports/:id", use: cancel)
    }

    @Sendable func states(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        do {
            let counts = try await store.stateCounts(importID: id)
            guard !counts.isEmpty else { return JSONResponse.error(.notFound, "no message belongs to import '\(id)'") }
            let states = Dictionary(uniqueKeysWithValues: MessageState.allCases.map { ($0.rawValue, counts[$0] ?? 0) })
            return JSONResponse.make(StatesDocument(importID: id, states: states, total: counts.values.reduce(0, +)))
        } catch {
            return JSONResponse.error(.unavailable, "\(error)")
        }
    }

    @Sendable func cancel(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        do {
            let cancelled = try await store.cancel(importID: id, nowMillis: clock.nowMillis())
            return JSONResponse.make(CancelDocument(importID: id, cancelled: cancelled))
        } catch StoreError.notFound {
            return JSONResponse.error(.notFound, "no message belongs to import '\(id)'")
        } catch {
            return JSONResponse.error(.unavailable, "\(error)")
        }
    }
}
