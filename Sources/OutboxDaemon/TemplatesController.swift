import Hummingbird
import OutboxAPI
import OutboxCore
import OutboxStore

/// `GET /v1/templates[?channel=C]` (the synced catalog) and `POST /v1/templates/sync[?channel=C]`
/// (sync now; 429 when the hourly budget of the management API is used up).
struct TemplatesController: Sendable {
    let store: any OutboxStore
    let registry: Channels
    let syncer: TemplateSyncer
    let clock: any OutboxClock

    func addRoutes(to group: RouterGroup<BasicRequestContext>) {
        group.get("templates", use: list)
        group.post("templates/sync", use: sync)
    }

    /// The channel named by `?channel=`, checked; nil when none is named.
    static func channel(_ request: Request, registry: Channels) throws -> String? {
        guard let c = request.uri.queryParameters.get("channel"), !c.isEmpty else { return nil }
        guard registry.runtime(named: c) != nil else { throw APIErrorBody(.unknownChannel, "no channel named '\(c.prefix(64))' is configured", field: "channel") }
        return c
    }

    @Sendable func list(_ request: Request, context: BasicRequestContext) async throws -> Response {
        do {
            let channel = try Self.channel(request, registry: registry)
            let records = try await store.templates(channel: channel, nowMillis: clock.nowMillis())
            return JSONResponse.make(TemplatesDocument(templates: records.map(Self.document)))
        } catch let e as APIErrorBody {
            return JSONResponse.error(e)
        } catch {
            return JSONResponse.error(.unavailable, "\(error)")
        }
    }

    @Sendable func sync(_ request: Request, context: BasicRequestContext) async throws -> Response {
        do {
            let channel = try Self.channel(request, registry: registry)
            let runtimes = registry.snapshot().filter { channel == nil || $0.name == channel }
            var results: [TemplateSyncDocument.Result] = []
            for r in runtimes { results.append(await syncer.sync(r)) }
            if !results.isEmpty, results.allSatisfy({ !$0.ok && ($0.error?.contains("hourly budget") ?? false) }) {
                return JSONResponse.error(.tooManyRequests, results[0].error ?? "the hourly budget is used up")
            }
            return JSONResponse.make(TemplateSyncDocument(channels: results))
        } catch let e as APIErrorBody {
            return JSONResponse.error(e)
        }
    }

    static func document(_ r: TemplateRecord) -> TemplateDocument {
        let s = r.spec
        return TemplateDocument(
            channel: r.channel, name: s.name, language: s.language, category: s.category, status: s.status, quality: s.quality,
            header: s.header.map { .init(format: $0.format, parameters: $0.parameters) }, bodyParameters: s.bodyParameters, bodyNames: s.bodyNames,
            buttons: s.buttons.map { .init(type: $0.type, parameters: $0.parameters) }, parameters: s.parametersSummary,
            pausedUntil: r.pausedUntilMillis.map { RFC3339.format(millis: $0) })
    }
}
