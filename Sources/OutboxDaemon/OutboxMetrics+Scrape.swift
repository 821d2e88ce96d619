import CoreMetrics
import OutboxCore
import OutboxStore

/// What `/metrics` reads when it is scraped: the queue from the store, rates and pauses from
/// the channels, endings from the timeline. At most once per `refreshMillis`, by one scrape
/// at a time; scrapes in between render the last figures (counters are always live).
extension OutboxMetrics {
    struct ScrapeState {
        /// The newest timeline event already counted.
        var lastEventID: Int64
        var lastRefreshMillis: Int64?
        var refreshing = false
        /// Channels that have gauges, so those of a channel gone (a reload) can be removed.
        var gaugedChannels: Set<String> = []
    }

    /// The Prometheus text exposition, after refreshing the scrape-time figures if they are due.
    public func exposition() async -> [UInt8] {
        await refreshIfDue()
        return registry.emitToBuffer()
    }

    func refreshIfDue() async {
        let now = clock.nowMillis()
        let (due, after) = scrape.withLock { s -> (Bool, Int64) in
            if s.refreshing { return (false, 0) }
            if let last = s.lastRefreshMillis, now - last < refreshMillis, now >= last { return (false, 0) }
            s.refreshing = true
            return (true, s.lastEventID)
        }
        guard due else { return }
        let started = clock.now()
        defer { timer(Series.refresh).recordNanoseconds(clock.now() - started) }
        var lastEventID = after
        var gauged: Set<String> = []
        do {
            let queue = try await store.queueFigures()
            let endings = try await store.timelineEndings(afterEventID: after)
            lastEventID = endings.lastEventID
            for (key, n) in endings.counts {
                if key.state == "expired" {
                    counter(Series.expired, ["channel": key.channel]).increment(by: n)
                } else {
                    // No API answer decided these: a local rule, or a failed status after the API took it.
                    counter(Series.failed, ["channel": key.channel, "error_class": key.afterAcceptance ? "status" : "local"]).increment(by: n)
                }
            }
            let holds = try await store.spamHolds(nowMillis: clock.nowMillis())
            gauged = setGauges(queue, spamHolds: holds, nowMillis: clock.nowMillis())
        } catch {
            counter(Series.refreshFailures).increment()
        }
        let removed = scrape.withLock { s -> Set<String> in
            s.refreshing = false
            s.lastRefreshMillis = now
            s.lastEventID = lastEventID
            guard !gauged.isEmpty else { return [] }
            defer { s.gaugedChannels = gauged }
            return s.gaugedChannels.subtracting(gauged)
        }
        if !removed.isEmpty { removeGauges(channels: removed) }
    }

    /// Sets every channel's gauges; returns the channels that have them. A channel appears
    /// while it is configured or still has messages queued or sending (a removed channel's
    /// messages wait for it to come back).
    private func setGauges(_ queue: QueueFigures, spamHolds: [String: SpamHold], nowMillis: Int64) -> Set<String> {
        let runtimes = channels()
        var names = Set(runtimes.map(\.name))
        names.formUnion(queue.queued.keys)
        names.formUnion(queue.sending.keys)
        names.formUnion(queue.staged.keys)
        for name in names {
            let byPriority = queue.queued[name] ?? [:]
            for p in Priority.allCases {
                gauge(Series.queueDepth, ["channel": name, "priority": p.rawValue]).record(byPriority[p] ?? 0)
            }
            gauge(Series.sending, ["channel": name]).record(queue.sending[name] ?? 0)
            gauge(Series.staged, ["channel": name]).record(queue.staged[name] ?? 0)
            let age = queue.earliestDueMillis[name].map { max(0, Double(nowMillis - $0) / 1000) } ?? 0
            gauge(Series.oldestAge, ["channel": name]).record(age)
        }
        for r in runtimes {
            let f = r.snapshot(nowMillis: nowMillis)
            gauge(Series.inFlight, ["channel": r.name]).record(f.inFlight)
            gauge(Series.rate, ["channel": r.name]).record(f.rate)
            gauge(Series.limit, ["channel": r.name]).record(f.limit)
            gauge(Series.configuredLimit, ["channel": r.name]).record(r.config.messagesPerSecond)
            gauge(Series.paused, ["channel": r.name]).record(r.pause(nowMillis: nowMillis) == nil ? 0 : 1)
            gauge(Series.spamHold, ["channel": r.name]).record(spamHolds[r.name]?.level ?? 0)
            gauge(Series.unreachable, ["channel": r.name]).record(r.unreachable == nil ? 0 : 1)
        }
        gauge(Series.databaseBytes).record(store.sizeBytes())
        return names
    }

    /// Drops the gauges of channels that are neither configured nor hold messages any more.
    private func removeGauges(channels removed: Set<String>) {
        let gone = gauges.withLock { g -> [SeriesKey: CoreMetrics.Gauge] in
            let matching = g.filter { key, _ in key.labels.count >= 2 && key.labels[0] == "channel" && removed.contains(key.labels[1]) }
            for key in matching.keys { g[key] = nil }
            return matching
        }
        for (_, gauge) in gone { gauge.destroy() }
    }
}
