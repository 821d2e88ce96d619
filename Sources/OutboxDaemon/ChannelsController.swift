import Hummingbird
import OutboxAPI
import OutboxCore
import OutboxStore
import WhatsApp

/// `/v1/channels` (the figures `stats` prints), resume, and `/v1/health`.
struct ChannelsController: Sendable {
    let store: any OutboxStore
    /// The channels configured now (a reload changes them).
    let registry: Channels
    let clock: any OutboxClock
    let startedMillis: Int64
    /// Several daemons: who sends what (nil on SQLite).
    var keeper: LeaseKeeper? = nil

    var runtimes: [ChannelRuntime] { registry.snapshot() }

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
        let runtimes = self.runtimes
        let counts = try await store.channelCounts()
        let now = clock.nowMillis()
        var limits: [String: MessagingLimit] = [:]
        for r in runtimes { limits[r.config.messagingLimit.portfolio] = r.config.messagingLimit }
        let reach = try await store.reachUse(portfolios: limits.keys.sorted(), nowMillis: now)
        let margin = runtimes.first?.config.rules.windowMarginMillis ?? RecipientRules().windowMarginMillis
        let windows = try await store.openWindows(nowMillis: now, marginMillis: margin)
        let holds = try await store.spamHolds(nowMillis: now)
        let priced = try await store.pricedToday(nowMillis: now)
        let catalogs = try await store.catalogStates(nowMillis: now)
        let cluster = try await clusterView()
        let statuses = runtimes.map { r in
            let c = counts[r.name] ?? ChannelCounts()
            let f = r.snapshot(nowMillis: now)
            let pause = r.pause(nowMillis: now)
            var status = ChannelStatus(
                name: r.name, api: r.config.api.rawValue, queued: c.queued, sending: c.sending,
                awaitingSettlement: c.awaitingSettlement, sent1m: f.sent1m, failed1m: f.failed1m, sent1h: f.sent1h,
                failed1h: f.failed1h, rateMps: f.rate, limitMps: f.limit, inFlight: f.inFlight,
                paused: pause != nil, pauseReason: pause?.reason, pausedUntil: pause?.untilMillis.map { RFC3339.format(millis: $0) },
                oldestQueuedAgeSeconds: c.oldestQueuedMillis.map { Double(now - $0) / 1000 }, enforceWindow: r.config.enforceWindow)
            let limit = r.config.messagingLimit
            status.openWindows = windows[r.name] ?? 0
            status.portfolio = limit.portfolio
            status.tierUsed = reach[limit.portfolio]?.used ?? 0
            status.tierLimit = limit.tier
            status.spamHold = holds[r.name].map { h in
                SpamHoldStatus(level: h.level, since: RFC3339.format(millis: h.sinceMillis), until: RFC3339.format(millis: h.untilMillis),
                               held: Priority.allCases.filter { h.holds($0, nowMillis: now) }.map(\.rawValue), reason: h.reason)
            }
            status.pricedToday = priced[r.name].map { $0.mapValues { PricedCount(messages: $0.messages, billable: $0.billable) } }
            let unreachable = r.unreachable
            status.unreachable = unreachable != nil
            status.unreachableSince = unreachable.map { RFC3339.format(millis: $0.sinceMillis) }
            status.unreachableReason = unreachable?.reason
            status.templates = catalogs[r.name].map {
                CatalogStatus(count: $0.templates, paused: $0.paused, syncedAt: $0.syncedMillis.map { RFC3339.format(millis: $0) }, lastError: $0.lastError)
            }
            status.sentBy = cluster?.senders[r.name]
            return status
        }
        let portfolios = limits.keys.sorted().map { name in
            let limit = limits[name]!
            return PortfolioStatus(
                name: name, used: reach[name]?.used ?? 0, limit: limit.tier, budget: limit.budget,
                nextFreeAt: reach[name]?.nextFreeMillis.map { RFC3339.format(millis: $0) },
                channels: runtimes.filter { $0.config.messagingLimit.portfolio == name }.map(\.name))
        }
        let retention = try await store.lastRetentionPass().map(RetentionStatus.init)
        var doc = ChannelsDocument(channels: statuses, databaseBytes: store.sizeBytes(), portfolios: portfolios, retention: retention)
        doc.daemons = cluster?.daemons
        return doc
    }

    /// Several daemons: the lease rows and the heartbeats, as this daemon sees them.
    func clusterView() async throws -> (senders: [String: ChannelSender], daemons: [DaemonStatus])? {
        guard let keeper else { return nil }
        let leases = try await keeper.store.leases()
        let daemons = keeper.daemons()
        let live = Set(daemons.filter(\.live).map(\.row.id))
        var senders: [String: ChannelSender] = [:]
        for l in leases {
            senders[l.channel] = ChannelSender(daemon: l.owner, since: l.owner == nil ? nil : l.acquiredMillis.map { RFC3339.format(millis: $0) }, token: l.token,
                                               here: l.owner == keeper.me.id, live: l.owner.map(live.contains) ?? false)
        }
        let statuses = daemons.map { d in
            DaemonStatus(id: d.row.id, host: d.row.host, pid: d.row.pid, startedAt: RFC3339.format(millis: d.row.startedMillis),
                         lastBeatAt: RFC3339.format(millis: d.row.beatMillis), live: d.live, here: d.row.id == keeper.me.id,
                         channels: leases.filter { $0.owner == d.row.id }.map(\.channel))
        }
        return (senders, statuses)
    }

    @Sendable func resume(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let name = context.parameters.get("name") ?? ""
        guard let runtime = registry.runtime(named: name) else {
            return JSONResponse.error(.unknownChannel, "no channel named '\(name)' is configured", field: "channel")
        }
        do {
            try await store.resume(channel: name, liftingSpamHoldAt: clock.nowMillis(), nowMillis: clock.nowMillis())
            runtime.setPause(nil)
            // The daemon that sends it, if another one, hears it now (and reads the pause again).
            registry.wake([name])
            return JSONResponse.make(["channel": name, "paused": "false"])
        } catch {
            return JSONResponse.error(.unavailable, "\(error)")
        }
    }

    @Sendable func health(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let now = clock.nowMillis()
        var database = "ok"
        do { try await store.ping() } catch { database = "\(error)" }
        // Reads may work while writes do not (disk full, read-only, another process's lock):
        // then nothing can be submitted or sent, and health says so.
        if database == "ok", let problem = await store.writeProblem() { database = "cannot take writes: \(problem)" }
        var channels: [String: String] = [:]
        var details: [String: ChannelHealth] = [:]
        for r in runtimes {
            let pause = r.pause(nowMillis: now)
            channels[r.name] = pause.map { "paused: \($0.reason)" } ?? r.unreachable.map { "unreachable: \($0.reason)" } ?? "ok"
            details[r.name] = Self.health(of: r, pause: pause, nowMillis: now)
        }
        var doc = HealthDocument(status: database == "ok" ? "ok" : "degraded", database: database, version: WaOutboxVersion.current,
                                 startedAt: RFC3339.format(millis: startedMillis), channels: channels)
        doc.channelHealth = details
        if database != "ok" { doc.reason = "database: \(database)" }
        if let keeper, database == "ok", let cluster = try? await clusterView() {
            doc.daemon = keeper.me.id
            doc.daemons = cluster.daemons
            doc.sentBy = cluster.senders.filter { channels[$0.key] != nil }
        }
        return JSONResponse.make(doc, status: database == "ok" ? .ok : .serviceUnavailable)
    }
}

extension ChannelsController {
    /// One channel's health from its runtime alone (no database work on this path; the probe
    /// ran in the background).
    static func health(of r: ChannelRuntime, pause: ChannelPause?, nowMillis now: Int64) -> ChannelHealth {
        let f = r.snapshot(nowMillis: now)
        let unreachable = r.unreachable
        let state = pause != nil ? "paused" : unreachable != nil ? "unreachable"
            : (f.inFlight > 0 || r.startedRecently(nowMillis: now) ? "ok" : "idle")
        let probe = r.probe.map {
            HealthProbeStatus(status: $0.status, ok: $0.ok, detail: $0.detail, checkedAt: RFC3339.format(millis: $0.checkedMillis))
        }
        var health = ChannelHealth(state: state, pauseReason: pause?.reason, lastSentAt: r.lastSentMillis.map { RFC3339.format(millis: $0) }, probe: probe)
        health.unreachableSince = unreachable.map { RFC3339.format(millis: $0.sinceMillis) }
        health.unreachableReason = unreachable?.reason
        return health
    }
}

/// The version `health` and `--version` report.
public enum WaOutboxVersion {
    public static let current = "0.1.0"
}
