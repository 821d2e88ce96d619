import Logging
import OutboxCore
import OutboxStore
import ServiceLifecycle
import WhatsApp

/// Processes stored webhook payloads after they were acknowledged: statuses go to their
/// messages, inbound messages open windows. Payloads that cannot be read or routed are kept
/// with the reason. At start-up it first works off whatever a previous run left unprocessed.
///
/// It works in a budget, so that neither memory nor the single writer are at the mercy of
/// what arrives: at most `maxBatchBytes` of payloads are loaded at once, and one transaction
/// applies at most `maxReportsPerCommit` statuses and inbound messages (a payload with more
/// is applied in parts), which keeps it to tens of milliseconds.
final class InboxProcessor: Service, Sendable {
    let store: any OutboxStore
    /// The channels configured now (a reload changes them).
    let registry: Channels
    let clock: any OutboxClock
    let logger: Logger
    let doorbell = Doorbell()
    /// Counts priced messages by category; nil in tests that build the processor alone.
    let metrics: OutboxMetrics?
    /// Payload bytes loaded per round, at most (one payload larger than this is loaded alone).
    let maxBatchBytes: Int
    /// Statuses and inbound messages applied per transaction, at most.
    let maxReportsPerCommit: Int
    /// Payload bytes being received at once (webhook receiver and `/v1/inbound` together):
    /// what is read but not yet stored, at most `[webhook] max_buffered_bytes`.
    let intake: ByteBudget
    /// After a stop, how long pending payloads are still worked off before it returns (they
    /// are on disk: the next start takes them).
    static let stopBudgetMillis: Int64 = 2_000
    /// Words and quick-reply payloads by which a customer's message opts them out of marketing.
    let optOutWords: OptOutWords
    /// Called with the channels whose template catalog a status webhook changed.
    let onCatalogChange: @Sendable (Set<String>) async -> Void

    var runtimes: [ChannelRuntime] { registry.snapshot() }

    init(store: any OutboxStore, registry: Channels, clock: any OutboxClock, logger: Logger, metrics: OutboxMetrics? = nil, intakeBytes: Int = 64 << 20,
         maxBatchBytes: Int = 16 << 20, maxReportsPerCommit: Int = 2_000, optOutWords: OptOutWords = OptOutWords(),
         onCatalogChange: @escaping @Sendable (Set<String>) async -> Void = { _ in }) {
        self.optOutWords = optOutWords
        self.onCatalogChange = onCatalogChange
        self.metrics = metrics
        self.intake = ByteBudget(capacity: intakeBytes)
        self.store = store
        self.registry = registry
        self.clock = clock
        self.logger = logger
        self.maxBatchBytes = maxBatchBytes
        self.maxReportsPerCommit = maxReportsPerCommit
    }

    func run() async throws {
        let stopping = StopFlag()
        let stoppedAt = Box<Int64?>(nil)
        func overdue() -> Bool {
            guard stopping.isSet else { return false }
            let now = clock.nowMillis()
            if stoppedAt.value == nil { stoppedAt.value = now }
            return now - stoppedAt.value! >= Self.stopBudgetMillis
        }
        await withGracefulShutdownHandler {
            while !Task.isCancelled, !overdue() {
                do {
                    if try await applyPending(stop: { overdue() || Task.isCancelled }) == 0 {
                        if stopping.isSet { return }
                        await doorbell.wait(until: clock.now() + 5 * Nanos.perSecond, clock: clock)
                    }
                } catch {
                    if stopping.isSet {
                        logger.error("cannot process stored webhooks at stop; they stay stored for the next start", metadata: ["error": "\(error)"])
                        return
                    }
                    logger.error("cannot process stored webhooks; retrying", metadata: ["error": "\(error)"])
                    await doorbell.wait(until: clock.now() + Nanos.perSecond, clock: clock)
                }
            }
        } onGracefulShutdown: {
            stopping.set()
            self.doorbell.ring()
        }
    }

    /// Mirrors what failed statuses did to channels in their live state, as the worker does
    /// for the same errors in answers: the pause (the worker, stats, health and metrics read
    /// it there), the lowered rate; and logs it.
    func act(on effects: FailureEffects) {
        let now = clock.nowMillis()
        for (channel, pause) in effects.pauses.sorted(by: { $0.key < $1.key }) {
            guard let runtime = registry.runtime(named: channel) else { continue }
            if runtime.pause(nowMillis: now) == nil {
                logger.error("channel paused", metadata: ["channel": "\(channel)", "reason": "\(pause.reason)"])
            }
            runtime.setPause(pause)
        }
        for channel in effects.throttled.sorted() {
            registry.runtime(named: channel)?.throttled(nowMillis: now)
        }
        for (channel, hold) in effects.spamHolds.sorted(by: { $0.key < $1.key }) {
            logger.warning("channel held by the spam rate limit", metadata: [
                "channel": "\(channel)", "level": "\(hold.level)", "until": "\(RFC3339.format(millis: hold.untilMillis))", "reason": "\(hold.reason)",
            ])
        }
        for p in effects.priced { metrics?.priced(channel: p.channel, category: p.category, billable: p.billable) }
    }

    /// Processes one batch of the stored payloads not processed yet, oldest first (at most
    /// `maxBatchBytes` of them); returns how many. Besides the background loop, a submission
    /// judged against a closed window calls it first: the customer's message may be stored,
    /// answered and not yet processed.
    @discardableResult
    func applyPending(stop: () -> Bool = { false }) async throws -> Int {
        let pending = try await store.pendingInbox(limit: 500, maxBytes: maxBatchBytes)
        try await apply(pending, stop: stop)
        return pending.count
    }

    /// Processes these stored payloads now, if not yet: `POST /v1/inbound` answers only once
    /// the windows its payload opens are open.
    func applyNow(_ ids: [Int64]) async throws {
        try await apply(try await store.pendingInbox(ids: ids), stop: { false })
    }

    /// Applies the payloads in transactions of at most `maxReportsPerCommit` reports, in order.
    /// Stops between transactions when `stop` says so (what is left stays pending).
    private func apply(_ pending: [PendingInbox], stop: () -> Bool) async throws {
        guard !pending.isEmpty else { return }
        var part: [ProcessedInbox] = []
        var reports = 0
        func commit() async throws {
            defer { part = []; reports = 0 }
            // Statuses may have settled messages or closed windows: let those workers look again.
            // (Waking every worker for each batch of receipts cost a claim per channel per batch.)
            let effects = try await store.applyInbox(part, nowMillis: clock.nowMillis())
            act(on: effects.failures)
            if !effects.catalogChanged.isEmpty { await onCatalogChange(effects.catalogChanged) }
            registry.wake(Set(effects.moved))
        }
        for item in pending {
            var processed = process(item)
            while reports + processed.reports > maxReportsPerCommit {
                let room = maxReportsPerCommit - reports
                if room > 0 { part.append(processed.splitFirst(room)) }
                try await commit()
                if stop() { return }
            }
            part.append(processed)
            reports += processed.reports
        }
        if !part.isEmpty { try await commit() }
    }

    /// Reads one payload into reports; never throws: problems become the kept error.
    func process(_ item: PendingInbox) -> ProcessedInbox {
        let payload: WebhookPayload
        do {
            payload = try WebhookPayload.parse(item.body)
        } catch {
            logger.warning("unreadable webhook payload kept for inspection", metadata: ["inbox.id": "\(item.id)", "error": "\(error)"])
            return ProcessedInbox(id: item.id, error: "unreadable: \(error)")
        }
        let channel = item.channel ?? payload.phoneNumberIDs.lazy.compactMap { id in
            self.runtimes.first { $0.config.phoneNumberID == id }?.name
        }.first
        var result = ProcessedInbox(id: item.id)
        var problems: [String] = []
        // A timestamp from outside is never trusted into arithmetic: one far ahead of our clock
        // is taken as now, and the payload keeps a note of it (the first one, and how many).
        let now = clock.nowMillis()
        var clamped: (first: String, count: Int)?
        func bounded(_ millis: Int64?, _ what: String) -> Int64? {
            let safe = TimeBounds.webhookTimestamp(millis, nowMillis: now)
            if safe != millis, let millis {
                clamped = (clamped?.first ?? "\(what) has timestamp \(millis / 1000), more than 24 h ahead of our clock; taken as now", (clamped?.count ?? 0) + 1)
            }
            return safe
        }
        result.statuses = payload.statuses.map { s in
            var s = s
            s.timestampMillis = bounded(s.timestampMillis, "status of \(s.wamid)")
            return s
        }
        if !payload.inbound.isEmpty {
            if let channel {
                for m in payload.inbound {
                    // A customer known only by username writes with their BSUID and no number;
                    // one with both opens the window under each (either may address them).
                    let number = m.from.flatMap { try? Recipient(parsing: $0) }
                    let user = m.userID.flatMap { try? Recipient(bsuid: $0) }
                    if number == nil, let from = m.from { problems.append("inbound message from '\(from.prefix(64))', not a phone number") }
                    if user == nil, let id = m.userID { problems.append("inbound message from user id '\(id.prefix(64))', not a BSUID") }
                    for (n, r) in [number, user].compactMap({ $0 }).enumerated() {
                        var report = InboundReport(channel: channel, recipient: r.e164,
                                                   timestampMillis: bounded(m.timestampMillis, "inbound message from \(r.e164)") ?? now)
                        // The event log gets the message once, from its first identity (the number when it has one).
                        if n == 0 {
                            report.wamid = m.id
                            report.type = m.type
                            report.text = m.message?["text"]?["body"]?.stringValue
                            report.message = m.message
                            report.contextWamid = m.contextID
                        }
                        result.inbound.append(report)
                    }
                    // A configured STOP word or payload: the customer leaves the marketing list.
                    if let message = m.message, let number, let hit = optOutWords.match(message) {
                        result.preferences.append(PreferenceReport(channel: channel, recipient: number.e164, stop: true, source: hit.source,
                                                                   detail: "the customer wrote '\(hit.word)'", timestampMillis: now))
                    }
                }
            } else {
                problems.append("inbound messages with no channel: the payload came without one and its phone_number_id (\(payload.phoneNumberIDs.sorted().joined(separator: ", "))) matches no channel's phone_number_id")
            }
        }
        if !payload.templateUpdates.isEmpty || !payload.preferences.isEmpty {
            if let channel {
                result.templates = payload.templateUpdates.map { var t = $0; t.channel = channel; return t }
                for p in payload.preferences {
                    guard let number = try? Recipient(parsing: p.waID) else {
                        problems.append("user_preferences for '\(p.waID.prefix(64))', not a phone number")
                        continue
                    }
                    result.preferences.append(PreferenceReport(channel: channel, recipient: number.e164, stop: p.stop, source: "user_preferences",
                                                               detail: p.detail, timestampMillis: bounded(p.timestampMillis, "user_preferences of \(number.e164)") ?? now))
                }
            } else {
                problems.append("template or preference updates with no channel: post them to /webhooks/{channel}")
            }
        }
        if let clamped { problems.append(clamped.count > 1 ? "\(clamped.first) (and \(clamped.count - 1) more)" : clamped.first) }
        for e in payload.errors { problems.append("error reported by the API: \(e.summary)") }
        result.error = problems.isEmpty ? nil : problems.joined(separator: "; ")
        return result
    }
}
