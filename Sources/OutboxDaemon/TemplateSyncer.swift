import Logging
import OutboxAPI
import OutboxCore
import OutboxStore
import ServiceLifecycle
import Synchronization
import WhatsApp

/// Syncs each channel's template catalog from 360dialog (`GET {base_url}/v1/configs/templates`,
/// paged by `limit`/`offset`): in the background every `[templates] sync_interval`, and when
/// asked (`wa-outbox templates sync`). Every request spends the channel's share of the
/// management API's hourly budget (`requests_per_hour`, a rolling `RequestBudget`); a sync that
/// would pass it stops and says when the next request fits. Only a complete list replaces the
/// stored catalog.
final class TemplateSyncer: Service, Sendable {
    let channels: Channels
    let store: any OutboxStore
    let catalogs: TemplateCatalogs
    let api: (any AccountAPI)?
    let settings: TemplateSyncSettings
    let timeoutMillis: Int64
    let clock: any OutboxClock
    let logger: Logger
    private let budgets = Mutex<[String: RequestBudget]>([:])
    /// When each channel's last sync was tried (seeded from the store when the loop starts).
    private let tried = Mutex<[String: Int64]>([:])
    /// One sync per channel at a time (a manual sync during a background one waits for it).
    private let running = Mutex<Set<String>>([])

    init(channels: Channels, store: any OutboxStore, catalogs: TemplateCatalogs, api: (any AccountAPI)?, settings: TemplateSyncSettings,
         timeoutMillis: Int64, clock: any OutboxClock, logger: Logger) {
        self.channels = channels
        self.store = store
        self.catalogs = catalogs
        self.api = api
        self.settings = settings
        self.timeoutMillis = timeoutMillis
        self.clock = clock
        self.logger = logger
    }

    /// Syncs in the background while the interval is on; a stop cancels a sync in flight (the
    /// stored catalog stays as it was).
    func run() async throws {
        try? await catalogs.reload()
        // A service that returns ends the whole group: without a background sync, wait for the stop.
        guard settings.syncIntervalMillis > 0, api != nil else { try? await gracefulShutdown(); return }
        await cancelWhenGracefulShutdown { [self] in
            if let states = try? await store.catalogStates(nowMillis: clock.nowMillis()) {
                tried.withLock { t in for (c, s) in states { if let at = s.triedMillis { t[c] = at } } }
            }
            while !Task.isCancelled {
                let now = clock.nowMillis()
                let last = tried.withLock { $0 }
                for runtime in channels.snapshot() where (last[runtime.name].map { now - $0 >= settings.syncIntervalMillis } ?? true) {
                    let result = await sync(runtime)
                    if Task.isCancelled { return }
                    if !result.ok { logger.warning("template sync failed", metadata: ["channel": "\(runtime.name)", "error": "\(result.error ?? "")"]) }
                }
                let next = tried.withLock { $0.values.min() }.map { TimeMath.add($0, settings.syncIntervalMillis) } ?? TimeMath.add(now, 60_000)
                try? await clock.sleep(until: TimeMath.nanos(millis: max(clock.nowMillis() + 1_000, min(next, clock.nowMillis() + 60_000))))
            }
        }
    }

    /// Syncs one channel now; never throws (a failure is the result's `error`, and is stored).
    func sync(_ runtime: ChannelRuntime) async -> TemplateSyncDocument.Result {
        let name = runtime.name
        guard running.withLock({ $0.insert(name).inserted }) else {
            return .init(channel: name, ok: false, templates: 0, changed: 0, requests: 0, syncedAt: nil, error: "a sync of this channel is already running")
        }
        defer { _ = running.withLock { $0.remove(name) } }
        let started = clock.nowMillis()
        tried.withLock { $0[name] = started }
        var requests = 0
        func fail(_ why: String) async -> TemplateSyncDocument.Result {
            try? await store.catalogSyncFailed(channel: name, error: why, nowMillis: clock.nowMillis())
            return .init(channel: name, ok: false, templates: 0, changed: 0, requests: requests, syncedAt: nil, error: why)
        }
        guard let api else { return await fail("this daemon has no HTTP client for the management API") }
        let config = runtime.config
        var specs: [TemplateSpec] = []
        var offset = 0
        var skipped = 0
        // Bounded however the API pages: never more requests than the list can fill.
        let maxPages = settings.maxTemplates / settings.pageSize + 2
        for _ in 0..<maxPages {
            let now = clock.nowMillis()
            let allowed = budgets.withLock { b in
                var budget = b[name] ?? RequestBudget(perHour: settings.requestsPerHour)
                defer { b[name] = budget }
                return budget.take(nowMillis: now) ? nil : budget.nextFreeMillis(nowMillis: now)
            }
            if let next = allowed {
                return await fail("the template list's hourly budget (\(settings.requestsPerHour) requests) is used up; the next request fits at \(RFC3339.format(millis: next))")
            }
            requests += 1
            let page: TemplateList.Page
            do {
                page = try await api.templatePage(baseURL: config.baseURL, apiKey: config.apiKey.value, limit: settings.pageSize, offset: offset,
                                                  timeoutMillis: timeoutMillis)
            } catch {
                return await fail(error.reason)
            }
            skipped += page.skipped
            specs += page.specs.prefix(settings.maxTemplates - specs.count)
            offset += page.entries
            if page.entries < settings.pageSize || specs.count >= settings.maxTemplates || page.total.map({ offset >= $0 }) == true { break }
        }
        if skipped > 0 { logger.warning("template list entries skipped (unreadable or out of bounds)", metadata: ["channel": "\(name)", "count": "\(skipped)"]) }
        do {
            let changed = try await store.replaceCatalog(channel: name, specs: specs, nowMillis: clock.nowMillis())
            try await catalogs.reload()
            if changed > 0 { runtime.doorbell.ring() }
            return .init(channel: name, ok: true, templates: specs.count, changed: changed, requests: requests,
                         syncedAt: RFC3339.format(millis: clock.nowMillis()), error: nil)
        } catch {
            return await fail("\(error)")
        }
    }
}
