import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import OutboxCore
import OutboxStore
import ServiceLifecycle

/// Delivers the event log to each `[[subscribers]]` entry as Standard Webhooks POSTs, at least
/// once and in cursor order per subscriber: one loop per subscriber sends a batch, waits for its
/// answer, and moves the cursor only on a 2xx. It has its own HTTP client and only reads the
/// log (the cursor is saved about once a second and at shutdown), so a slow or dead subscriber
/// never holds the database writer, the dispatcher or the webhook receiver.
final class SubscriberService: Service, Sendable {
    let runtimes: [SubscriberRuntime]
    let store: any OutboxStore
    let clock: any OutboxClock
    let logger: Logger
    let metrics: OutboxMetrics
    /// How often a moving cursor is saved: a crash re-delivers at most this much.
    static let persistEveryMillis: Int64 = 1_000
    /// Events read from the log at once (at least a batch).
    static let readAhead = 200
    /// Several daemons: whether this one delivers to the subscriber now (it holds the
    /// subscriber's lease, `subscriber:NAME`), so only one daemon POSTs to each. Nil: always.
    let delivers: (@Sendable (String) -> Bool)?

    init(runtimes: [SubscriberRuntime], store: any OutboxStore, clock: any OutboxClock, logger: Logger, metrics: OutboxMetrics,
         delivers: (@Sendable (String) -> Bool)? = nil) {
        self.delivers = delivers
        self.runtimes = runtimes
        self.store = store
        self.clock = clock
        self.logger = logger
        self.metrics = metrics
    }

    /// The subscribers' own HTTP client (never the dispatcher's), made when the service runs.
    static func makeClient() -> HTTPClient {
        var config = HTTPClient.Configuration()
        config.tracing.tracer = nil
        config.httpVersion = .http1Only
        config.decompression = .disabled
        config.redirectConfiguration = .disallow
        config.timeout = .init(connect: .seconds(5))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    /// Loads each subscriber's stored progress; one never seen before starts after the newest
    /// event (it gets what happens from now on; a replay gives it the past).
    static func runtimes(for configs: [SubscriberConfig], store: any OutboxStore) async throws -> [SubscriberRuntime] {
        guard !configs.isEmpty else { return [] }
        let stored = try await store.subscriberProgress()
        let newest = try await store.newestEventID()
        var out: [SubscriberRuntime] = []
        for c in configs {
            let progress = stored[c.name] ?? SubscriberProgress(cursor: newest)
            if stored[c.name] == nil { try await store.saveSubscriberProgress(name: c.name, progress) }
            out.append(SubscriberRuntime(config: c, progress: progress))
        }
        return out
    }

    func run() async throws {
        let stopping = StopFlag()
        let http = Self.makeClient()
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for r in runtimes { group.addTask { await self.loop(r, http: http, stopping: stopping) } }
            }
        } onGracefulShutdown: {
            stopping.set()
            for r in self.runtimes { r.doorbell.ring() }
            self.store.eventSignal.ring()
        }
        for r in runtimes { await persist(r, force: true) }
        try? await http.shutdown()
    }

    private func loop(_ r: SubscriberRuntime, http: HTTPClient, stopping: StopFlag) async {
        var health = SubscriberHealth(maxDelayMillis: r.config.maxRetryDelayMillis, giveUpAfterMillis: r.config.giveUpAfterMillis,
                                      failingSinceMillis: r.snapshot.progress.failingSinceMillis)
        var rng = SystemRandomNumberGenerator()
        metrics.subscriberFailing(r.name, health.isFailing)
        // Events read ahead of the cursor, oldest first: one read of the log serves many
        // POSTs when the subscriber takes one event per POST.
        var ahead: ArraySlice<LoggedEvent> = []
        var holding = delivers == nil
        while !stopping.isSet, !Task.isCancelled {
            if let delivers {
                guard delivers(r.name) else {
                    if holding { logger.notice("another daemon delivers to this subscriber now", metadata: ["subscriber": "\(r.name)"]) }
                    holding = false
                    ahead = []
                    await r.doorbell.wait(until: clock.now() + Nanos.perSecond, clock: clock)
                    continue
                }
                if !holding {
                    // Taken over: go on from where the last holder's saved cursor says.
                    guard let stored = try? await store.subscriberProgress()[r.name] else {
                        await r.doorbell.wait(until: clock.now() + Nanos.perSecond, clock: clock)
                        continue
                    }
                    r.adopt(stored)
                    holding = true
                    ahead = []
                    logger.notice("this daemon delivers to the subscriber now", metadata: ["subscriber": "\(r.name)", "cursor": "\(stored.cursor)"])
                }
            }
            if r.takeReplay() != nil { ahead = [] }
            let seen = store.eventSignal.generation
            let cursor = r.snapshot.progress.cursor
            if let first = ahead.first, first.id <= cursor { ahead = ahead.drop { $0.id <= cursor } }
            if ahead.isEmpty {
                let page: EventPage
                do {
                    page = try await store.events(after: cursor, limit: max(r.config.batchSize, Self.readAhead), filter: r.config.filter)
                } catch {
                    logger.error("cannot read the event log for a subscriber", metadata: ["subscriber": "\(r.name)", "error": "\(error)"])
                    await r.doorbell.wait(until: clock.now() + Nanos.perSecond, clock: clock)
                    continue
                }
                if page.events.isEmpty {
                    r.skipped(through: page.nextCursor)
                    await persist(r, force: false)
                    if page.nextCursor > cursor { continue }  // filtered-out events: read on
                    await waitForEvents(r, after: seen, stopping: stopping)
                    continue
                }
                ahead = page.events[...]
            }
            let batch = Array(ahead.prefix(r.config.batchSize))
            let outcome = await post(batch, to: r.config, http: http)
            let now = clock.nowMillis()
            if let error = outcome {
                let (retryAt, change) = health.failed(nowMillis: now, using: &rng)
                r.failed(error, nowMillis: now, failingSince: health.isFailing ? health.failingFromMillis : nil)
                metrics.subscriberAttempt(r.name, ok: false)
                if case .becameFailing(let since) = change {
                    logger.error("subscriber failing: no 2xx for longer than give_up_after; still retrying", metadata: [
                        "subscriber": "\(r.name)", "since": "\(RFC3339.format(millis: since))", "error": "\(error)"])
                    metrics.subscriberFailing(r.name, true)
                    try? await store.appendEvent(.subscriberFailing, channel: nil, data: [
                        "subscriber": .string(r.name), "since": .string(RFC3339.format(millis: since)), "error": .string(error),
                        "delivered_through": .string(String(cursor)),
                    ], nowMillis: now)
                    await persist(r, force: true)
                }
                await r.doorbell.wait(until: retryAt * Nanos.perMillisecond, clock: clock)
                continue
            }
            let last = batch[batch.count - 1].id
            ahead = ahead.dropFirst(batch.count)
            // A replay asked for while this POST was out wins over the cursor it would set.
            r.delivered(through: last, nowMillis: now)
            metrics.subscriberAttempt(r.name, ok: true, events: batch.count)
            if health.succeeded() == .recovered {
                logger.notice("subscriber answering again; delivery resumes", metadata: ["subscriber": "\(r.name)"])
                metrics.subscriberFailing(r.name, false)
                try? await store.appendEvent(.subscriberRecovered, channel: nil, data: ["subscriber": .string(r.name)], nowMillis: now)
                await persist(r, force: true)
            } else {
                await persist(r, force: false)
            }
        }
    }

    /// Waits for a commit that wrote events, a replay or shutdown; at most 5 s.
    private func waitForEvents(_ r: SubscriberRuntime, after seen: UInt64, stopping: StopFlag) async {
        let deadline = clock.now() + 5 * Nanos.perSecond
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.store.eventSignal.wait(after: seen, until: deadline, clock: self.clock) }
            group.addTask { await r.doorbell.wait(until: deadline, clock: self.clock) }
            await group.next()
            group.cancelAll()
        }
    }

    /// POSTs one batch; nil on a 2xx, else why not (never the secret).
    private func post(_ events: [LoggedEvent], to s: SubscriberConfig, http: HTTPClient) async -> String? {
        let body: [UInt8]
        let id: String
        if s.batchSize == 1, let e = events.first {
            body = EventJSON.object(e)
            id = "evt_\(e.id)"
        } else {
            body = EventJSON.batch(events)
            id = "evt_\(events[0].id)_\(events[events.count - 1].id)"
        }
        let timestamp = clock.nowMillis() / 1000
        var request = HTTPClientRequest(url: s.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "wa-outbox")
        request.headers.add(name: "webhook-id", value: id)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "webhook-signature", value: WebhookSignature.sign(id: id, timestampSeconds: timestamp, body: body, key: s.secret))
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await http.execute(request, timeout: .milliseconds(s.timeoutMillis))
            _ = try? await response.body.collect(upTo: 64 << 10)
            return (200..<300).contains(Int(response.status.code)) ? nil : "HTTP \(response.status.code)"
        } catch {
            return String("\(error)".prefix(300))
        }
    }

    private func persist(_ r: SubscriberRuntime, force: Bool) async {
        // A daemon that lost the subscriber leaves its cursor to the new holder.
        if let delivers, !delivers(r.name) { return }
        guard let p = r.progressToPersist(nowMillis: clock.nowMillis(), everyMillis: Self.persistEveryMillis, force: force) else { return }
        do {
            try await store.saveSubscriberProgress(name: r.name, p)
        } catch {
            logger.error("cannot save a subscriber's cursor; it will be re-delivered from the last saved one", metadata: [
                "subscriber": "\(r.name)", "error": "\(error)"])
        }
    }
}
