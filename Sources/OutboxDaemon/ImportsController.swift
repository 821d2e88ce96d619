import Hummingbird
import OutboxAPI
import OutboxCore
import OutboxStore

/// `/v1/imports/{id}`: the messages of one bulk import as a group, counted per state or
/// cancelled together (`wa-outbox cancel --import ID`).
struct ImportsController: Sendable {
    let store: any OutboxStore
    let clock: any OutboxClock

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
            return JSONResponse.make(ImportStatesDocument(importID: id, states: states, total: counts.values.reduce(0, +)))
        } catch {
            return JSONResponse.error(.unavailable, "\(error)")
        }
    }

    @Sendable func cancel(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        do {
            let cancelled = try await store.cancel(importID: id, nowMillis: clock.nowMillis())
            return JSONResponse.make(ImportCancelDocument(importID: id, cancelled: cancelled))
        } catch StoreError.notFound {
            return JSONResponse.error(.notFound, "no message belongs to import '\(id)'")
        } catch {
            return JSONResponse.error(.unavailable, "\(error)")
        }
    }
}
