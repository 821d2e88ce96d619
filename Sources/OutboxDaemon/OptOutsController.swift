import Hummingbird
import OutboxAPI
import OutboxCore
import OutboxStore

/// The marketing opt-out list: `GET /v1/optouts[?channel=C&to=N&limit=L]`, `POST /v1/optouts`
/// `{"channel", "to", "detail"}` (an operator's opt-out: queued marketing to them fails), and
/// `DELETE /v1/optouts?to=N[&channel=C]` (off the list; without a channel, off every channel's).
struct OptOutsController: Sendable {
    let store: any OutboxStore
    let registry: Channels
    let clock: any OutboxClock

    func addRoutes(to group: RouterGroup<BasicRequestContext>) {
        group.get("optouts", use: list)
        group.post("optouts", use: add)
        group.delete("optouts", use: remove)
    }

    static func recipient(_ text: String?) throws -> String {
        guard let text, !text.isEmpty else { throw APIErrorBody(.invalidField, "is required: the customer's number", field: "to") }
        do { return try Recipient(parsing: text).e164 } catch { throw APIErrorBody(.invalidField, error.message, field: "to") }
    }

    static func document(_ r: OptOutRecord, changed: Bool? = nil) -> OptOutDocument {
        OptOutDocument(channel: r.channel, to: r.recipient, at: RFC3339.format(millis: r.atMillis), source: r.source, detail: r.detail, changed: changed)
    }

    @Sendable func list(_ request: Request, context: BasicRequestContext) async throws -> Response {
        do {
            let q = request.uri.queryParameters
            let channel = try TemplatesController.channel(request, registry: registry)
            let to = try q.get("to").flatMap { $0.isEmpty ? nil : $0 }.map { try Self.recipient($0) }
            var limit = 1_000
            if let l = q.get("limit"), !l.isEmpty {
                guard let n = Int(l), (1...10_000).contains(n) else { throw APIErrorBody(.invalidField, "must be 1 to 10000", field: "limit") }
                limit = n
            }
            let rows = try await store.optOuts(channel: channel, recipient: to, limit: limit)
            return JSONResponse.make(OptOutsDocument(optouts: rows.map { Self.document($0) }))
        } catch let e as APIErrorBody {
            return JSONResponse.error(e)
        } catch {
            return JSONResponse.error(.unavailable, "\(error)")
        }
    }

    @Sendable func add(_ request: Request, context: BasicRequestContext) async throws -> Response {
        do {
            let json = try MessagesController.decode(try await MessagesController.body(request, limit: 64 << 10)[...])
            guard let channel = json["channel"]?.stringValue else { throw APIErrorBody(.invalidField, "is required", field: "channel") }
            guard registry.runtime(named: channel) != nil else { throw APIErrorBody(.unknownChannel, "no channel named '\(channel.prefix(64))' is configured", field: "channel") }
            let to = try Self.recipient(json["to"]?.stringValue)
            var detail: String?
            if let d = json["detail"] {
                guard let text = d.stringValue, text.utf8.count <= 500 else { throw APIErrorBody(.invalidField, "must be a string of at most 500 bytes", field: "detail") }
                detail = text
            }
            let now = clock.nowMillis()
            let new = try await store.addOptOut(channel: channel, recipient: to, detail: detail, nowMillis: now)
            let row = try await store.optOut(channel: channel, recipient: to)
            let doc = row.map { Self.document($0, changed: new) } ?? OptOutDocument(channel: channel, to: to, at: nil, source: "operator", detail: detail, changed: new)
            return JSONResponse.make(doc, status: new ? .created : .ok)
        } catch let e as APIErrorBody {
            return JSONResponse.error(e)
        } catch {
            return JSONResponse.error(.unavailable, "\(error)")
        }
    }

    @Sendable func remove(_ request: Request, context: BasicRequestContext) async throws -> Response {
        do {
            let channel = try TemplatesController.channel(request, registry: registry)
            let to = try Self.recipient(request.uri.queryParameters.get("to"))
            let names = channel.map { [$0] } ?? registry.snapshot().map(\.name)
            var changed = false
            for c in names where try await store.removeOptOut(channel: c, recipient: to, nowMillis: clock.nowMillis()) { changed = true }
            guard changed else { return JSONResponse.error(.notFound, "\(to) is not on \(channel.map { "channel '\($0)'s" } ?? "any channel's") opt-out list") }
            return JSONResponse.make(OptOutDocument(channel: channel ?? "*", to: to, at: nil, source: nil, detail: nil, changed: true))
        } catch let e as APIErrorBody {
            return JSONResponse.error(e)
        } catch {
            return JSONResponse.error(.unavailable, "\(error)")
        }
    }
}
