import Logging
import OutboxCore
import OutboxStore
import ServiceLifecycle

/// Turns an import's staged rows into messages a few thousand ahead of what each channel
/// sends (`StagingPlan`), so a million-row import commits as fast as its rows can be
/// written once, and its messages (index entries, `accepted` events) are made as the
/// channel nears them. Runs on stores that stage (SQLite); after a restart it goes on
/// with whatever is staged. Rung by the rows endpoint (a channel it has not counted yet is
/// counted then); while rows are staged it counts each channel's queue again when the queue
/// could have drained to half the lookahead (`StagingPlan.recountDelayMillis`: a queue drains
/// without telling it). It looks at most every `pollMillis`, however often it is rung.
final class StagingExpander: Service, Sendable {
    let store: any OutboxStore
    let channels: Channels
    let plan: StagingPlan
    let clock: any OutboxClock
    let logger: Logger
    /// Real time between looks while rows are staged (machine time, not the domain's clock).
    let pollMillis: Int64
    private let doorbell = Doorbell()
    private let machine = SystemClock()

    init(store: any OutboxStore, channels: Channels, plan: StagingPlan = StagingPlan(), clock: any OutboxClock, logger: Logger, pollMillis: Int64 = 200) {
        self.store = store
        self.channels = channels
        self.plan = plan
        self.clock = clock
        self.logger = logger
        self.pollMillis = pollMillis
    }

    func ring() { doorbell.ring() }

    func run() async {
        guard store.stagesImports else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            var failing = false
            // When to count each channel's queue again (machine nanoseconds); a channel not
            // here is counted at the next look.
            var due: [String: Int64] = [:]
            var lastLook = Int64.min
            while !Task.isCancelled {
                // An import rings for every batch it stores: one look per `pollMillis` is enough.
                let earliest = TimeMath.add(lastLook, TimeMath.nanos(millis: self.pollMillis))
                if lastLook != .min, earliest > self.machine.now() {
                    try? await self.machine.sleep(until: earliest)
                    if Task.isCancelled { return }
                }
                lastLook = self.machine.now()
                var staged: [String: Int] = [:]
                do {
                    staged = try await self.store.stagedCounts()
                    due = due.filter { staged[$0.key] != nil }
                    for channel in staged.keys.sorted() where (due[channel] ?? .min) <= self.machine.now() {
                        let queued = try await self.store.queuedCount(channel: channel, cap: self.plan.lookahead)
                        var made = 0
                        for n in self.plan.chunks(of: self.plan.rowsToExpand(queued: queued, staged: staged[channel] ?? 0)) {
                            if Task.isCancelled { return }
                            let r = try await self.store.expandStaged(channel: channel, limit: n, nowMillis: self.clock.nowMillis())
                            made += r.created + r.dropped
                            if r.dropped > 0 {
                                self.logger.warning("staged import rows whose key a message took meanwhile were dropped (nothing is sent twice)",
                                                    metadata: ["channel": "\(channel)", "dropped": "\(r.dropped)"])
                            }
                            if r.created > 0 { self.channels.wake([channel]) }
                            if r.created + r.dropped < n { break }
                        }
                        // 0: no limit; a channel no longer configured sends nothing (1: look rarely).
                        let rate = self.channels.runtime(named: channel)?.config.messagesPerSecond ?? 1
                        let delay = self.plan.recountDelayMillis(queued: queued + made, ratePerSecond: rate, minMillis: self.pollMillis)
                        due[channel] = TimeMath.add(self.machine.now(), TimeMath.nanos(millis: delay))
                    }
                    if failing { self.logger.info("staged import rows are being expanded again") }
                    failing = false
                } catch {
                    if Task.isCancelled { return }
                    // Disk full or locked: the rows stay staged; try again after a pause.
                    if !failing { self.logger.error("could not expand staged import rows; trying again", metadata: ["error": "\(error)"]) }
                    failing = true
                    due = [:]
                }
                // Rung when the rows endpoint stored rows: a channel not counted yet is then counted.
                if failing {
                    await self.doorbell.wait(until: TimeMath.add(self.machine.now(), TimeMath.nanos(millis: 1_000)), clock: self.machine)
                } else if let next = due.values.min() {
                    await self.doorbell.wait(until: next, clock: self.machine)
                } else {
                    await self.doorbell.wait()
                }
            }
        }
    }
}
