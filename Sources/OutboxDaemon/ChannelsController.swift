import Hummingbird
import OutboxAPI
import OutboxCore
import OutboxStore

/// `/v1/channels` (the figures `stats` prints), resume, and `/v1/health`.
struct ChannelsController: Sendable {
    let store: OutboxStore
    let runtimes: [ChannelRuntime]
    let clock: any OutboxClock
    let startedMillis: Int64

    func addRoutes(to group: RouterGroup<BasicRequestContext>) {
        group.get("channels", use: channels)
        group.post("channels/:name/resume", use: resume)
        group.get("health", use: health)
    }

    @Sendable func channels(_ request: Request, context: BasicRequestContext) async throws -> Response {
        do {
            return JSONResponse.make(try await document())
        } catch {
            return JSONResponse.error(.unavailable, "\(error)")
        }
    }

    func document() async throws -> ChannelsDocument {
        let counts = try await store.channelCounts()
        let now = clock.nowMillis()
        let statuses = runtimes.map { r in
            let c = counts[r.name] ?? ChannelCounts()
            let f = r.snapshot(nowMillis: now)
            let pause = r.pause(nowMillis: now)
            return ChannelStatus(
                name: r.name, api: r.config.api.rawValue, queued: c.queued, sending: c.sending,
                awaitingSettlement: c.awaitingSettlement, sent1m: f.sent1m, failed1m: f.failed1m, sent1h: f.sent1h,
                failed1h: f.failed1h, rateMps: f.rate, limitMps: f.limit, inFlight: f.inFlight,
                paused: pause != nil, pauseReason: pause?.reason, pausedUntil: pause?.untilMillis.map { RFC3339.format(millis: $0) },
                oldestQueuedAgeSeconds: c.oldestQueuedMillis.map { Double(now - $0) / 1000 }, enforceWindow: r.config.enforceWindow)
        }
        return ChannelsDocument(channels: statuses, databaseBytes: store.sizeBytes())
    }

    @Sendable func resume(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let name = context.parameters.get("name") ?? ""
        guard let runtime = runtimes.first(where: { $0.name == name }) else {
            return JSONResponse.error(.unknownChannel, "no channel named '\(name)' is configured", field: "channel")
        }
        do {
            try await store.resume(channel: name)
            runtime.setPause(nil)
            return JSONResponse.make(["channel": name, "paused": "false"])
        } catch {
            return JSONResponse.error(.unavailable, "\(error)")
        }
    }

    @Sendable func health(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let now = clock.nowMillis()
        var database = "ok"
        do { try await store.ping() } catch { database = "\(error)" }
        var channels: [String: String] = [:]
        for r in runtimes { channels[r.name] = r.pause(nowMillis: now).map { "paused: \($0.reason)" } ?? "ok" }
        let doc = HealthDocument(status: database == "ok" ? "ok" : "degraded", database: database, version: WaOutboxVersion.current,
                                 startedAt: RFC3339.format(millis: startedMillis), channels: channels)
        return JSONResponse.make(doc, status: database == "ok" ? .ok : .serviceUnavailable)
    }
}

/// The version `health` and `--version` report.
public enum WaOutboxVersion {
    public static let current = "0.1.0"
}
