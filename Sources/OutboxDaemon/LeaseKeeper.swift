import Foundation
import Logging
import OutboxCore
import OutboxStore
import Synchronization

/// Several daemons on one PostgreSQL database: this daemon's side of the channel leases. Every
/// `renew_every` (a fifth of `lease_ttl`), or at once when another daemon announces a release,
/// it beats its heartbeat row, renews the leases it holds in one statement (a channel missing
/// from the answer was lost: its worker stops at once), and asks the `LeasePlanner` what to
/// take and what to hand over. The dispatcher runs a worker for each lease held; a worker that
/// exits hands its lease back here to be released. All timing is on the monotonic clock.
final class LeaseKeeper: Sendable {
    let store: any LeaseStore
    let channels: Channels
    let me: DaemonRow
    let timings: LeaseTimings
    let unknownWaitMillis: Int64
    let clock: any OutboxClock
    let logger: Logger
    let metrics: OutboxMetrics
    let bell = Doorbell()

    struct State {
        var planner: LeasePlanner
        var liveness: DaemonLiveness
        var held: [String: ChannelLease] = [:]
        var daemons: [DaemonRow] = []
        var stopping = false
        var finished = false
        /// Rings of the event signal that came from other daemons (not to be announced back).
        var peerRings: UInt64 = 0
    }
    private let state: Mutex<State>
    /// Set by the dispatcher: start a worker under this lease / stop the channel's worker.
    private let hooks = Mutex<(acquired: @Sendable (ChannelRuntime, ChannelLease) -> Void, stop: @Sendable (String) -> Void)?>(nil)

    /// Leases that are not channels: one per `[[subscribers]]` entry, so one daemon delivers to each.
    let otherKeys: Set<String>
    static func subscriberKey(_ name: String) -> String { "subscriber:" + name }

    /// A new daemon id, "name:pid:random": each start is a new daemon (its old leases are taken
    /// over, not resumed). The store names its database sessions by it, so a daemon that takes
    /// this one's channels over can end them (`PostgresOutboxStore.fenceOut`).
    static func newDaemonID(_ settings: ClusterSettings) -> String {
        let name = settings.name ?? String(ProcessInfo.processInfo.hostName.prefix(40))
        return "\(name):\(getpid()):\(String(UInt32.random(in: .min ... .max), radix: 36))"
    }

    init(store: any LeaseStore, channels: Channels, settings: ClusterSettings, id: String? = nil, connectTimeoutMillis: Int64, unknownWaitMillis: Int64,
         subscribers: [String] = [], clock: any OutboxClock, logger: Logger, metrics: OutboxMetrics) {
        self.store = store
        self.otherKeys = Set(subscribers.map(Self.subscriberKey))
        self.channels = channels
        self.me = DaemonRow(id: id ?? Self.newDaemonID(settings), host: ProcessInfo.processInfo.hostName, pid: Int(getpid()),
                            startedMillis: clock.nowMillis(), beatMillis: clock.nowMillis(), beats: 0)
        let ttl = settings.leaseTTLMillis
        // The margin covers the time from the trust check to the bytes on the wire (a
        // connection set-up, bounded by connect_timeout), within a fifth to a half of the ttl.
        let margin = min(max(connectTimeoutMillis + 1_000, ttl / 5), ttl / 2)
        self.timings = LeaseTimings(ttlMillis: ttl, marginMillis: margin, handoverMillis: min(1_000, ttl / 2))
        self.unknownWaitMillis = unknownWaitMillis
        self.clock = clock
        self.logger = logger
        self.metrics = metrics
        let now = Monotonic.millis()
        state = Mutex(State(planner: LeasePlanner(me: me.id, timings: timings, startedMillis: now), liveness: DaemonLiveness(ttlMillis: ttl)))
    }

    func connect(acquired: @escaping @Sendable (ChannelRuntime, ChannelLease) -> Void, stop: @escaping @Sendable (String) -> Void) {
        hooks.withLock { $0 = (acquired, stop) }
    }

    /// The lease this daemon holds on `channel`, if any.
    func lease(_ channel: String) -> ChannelLease? { state.withLock { $0.held[channel] } }

    /// Whether this daemon delivers to the subscriber now (holds its lease, trusted).
    func delivers(subscriber name: String) -> Bool {
        guard let lease = lease(Self.subscriberKey(name)) else { return false }
        return !lease.isLost && lease.holdOffMillis() == nil
    }

    /// What `stats`, `/v1/channels` and health show: every daemon's row and whether it is alive.
    func daemons() -> [(row: DaemonRow, live: Bool)] {
        let now = Monotonic.millis()
        return state.withLock { s in
            let live = Set(s.liveness.live(me: me.id, nowMillis: now))
            return s.daemons.map { ($0, live.contains($0.id)) }
        }
    }

    /// Stops taking channels (a graceful stop began); renewals go on while the workers drain.
    func stopAcquiring() {
        state.withLock { $0.stopping = true }
        bell.ring()
    }

    /// Ends the loop after the last worker exited (and released its lease), and deletes this daemon's row.
    func finish() {
        state.withLock { $0.finished = true }
        bell.ring()
    }

    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.listenLoop() }
            group.addTask { await self.announceEvents() }
            while !state.withLock({ $0.finished }) {
                await step()
                await bell.wait(until: clock.now() + TimeMath.nanos(millis: timings.renewEveryMillis), clock: clock)
            }
            group.cancelAll()
        }
        // The subscriber leases go back now (channel leases went back as their workers exited).
        for lease in state.withLock({ s in s.held.values.filter { otherKeys.contains($0.channel) } }) {
            try? await store.releaseLease(channel: lease.channel, daemon: me.id, token: lease.token)
            await store.announce(["lease:" + lease.channel])
        }
        do { try await store.forgetDaemons([me.id]) } catch {
            logger.debug("cannot delete this daemon's heartbeat row; others forget it after a while", metadata: ["error": "\(error)"])
        }
    }

    /// A worker ended (shutdown, handover, lost lease, channel removed): its lease, unless lost,
    /// is released so a contender may take the channel at once.
    func workerExited(_ lease: ChannelLease) async {
        let mine = state.withLock { s -> Bool in
            guard s.held[lease.channel] === lease else { return false }
            s.held[lease.channel] = nil
            return true
        }
        guard mine, !lease.isLost else { return }
        do {
            try await store.releaseLease(channel: lease.channel, daemon: me.id, token: lease.token)
            await store.announce(["lease:" + lease.channel])
            metrics.leaseChange(channel: lease.channel, change: "released")
            logger.notice("channel handed over: lease released", metadata: ["channel": "\(lease.channel)", "token": "\(lease.token)"])
        } catch {
            logger.warning("cannot release the channel's lease; another daemon takes it a lease_ttl from its last renewal",
                           metadata: ["channel": "\(lease.channel)", "error": "\(error)"])
        }
    }

    /// One round: renew, beat, plan, act.
    func step() async {
        // Renew first: the owner trusts its leases from the start of the last renewal that
        // worked, so nothing before it in the round may eat into that time.
        await renew(startedMillis: Monotonic.millis())
        let started = Monotonic.millis()
        var row = me
        row.beatMillis = clock.nowMillis()
        do {
            let rows = try await store.beat(row)
            let stale = state.withLock { s -> [String] in
                s.daemons = rows
                s.liveness.observe(Dictionary(rows.map { ($0.id, $0.beats) }, uniquingKeysWith: { a, _ in a }), nowMillis: started)
                return s.liveness.stale(olderThanMillis: TimeMath.multiply(timings.ttlMillis, 10), nowMillis: started).filter { $0 != me.id }
            }
            if !stale.isEmpty { try? await store.forgetDaemons(stale) }
        } catch {
            logger.warning("cannot write this daemon's heartbeat", metadata: ["error": "\(error)"])
        }
        let (stopping, held) = state.withLock { ($0.stopping, $0.held) }
        await syncPauses(held: Array(held.keys))
        guard !stopping else { return }
        let configured = channels.names.union(otherKeys)
        // A channel a reload removed: its worker was stopped; its lease goes back at its exit.
        for name in held.keys where !configured.contains(name) { hooks.withLock { $0 }?.stop(name) }
        guard !configured.isEmpty else { return }
        let observed: [String: LeaseObservation]
        do { observed = try await store.observeLeases(configured.sorted()) } catch {
            logger.warning("cannot read the channel leases", metadata: ["error": "\(error)"])
            return
        }
        let now = Monotonic.millis()
        let decisions = state.withLock { s in s.planner.plan(leases: observed, liveness: s.liveness, nowMillis: now) }
        for decision in decisions {
            switch decision {
            case .acquire(let channel, let seen):
                await acquire(channel, seen: seen)
            case .handOver(let channel):
                logger.notice("handing a channel over to the daemon it belongs to", metadata: ["channel": "\(channel)"])
                if otherKeys.contains(channel) {
                    // A subscriber's: no worker to drain; its loop stops at its next look.
                    if let lease = lease(channel) { await workerExited(lease) }
                } else {
                    hooks.withLock { $0 }?.stop(channel)
                }
            }
        }
    }

    private func renew(startedMillis: Int64) async {
        let held = state.withLock { $0.held }
        guard !held.isEmpty else { return }
        let kept: Set<String>
        do { kept = try await store.renewLeases(held.mapValues(\.token), daemon: me.id, nowMillis: clock.nowMillis()) } catch {
            // Trust lapses by itself if this goes on; the next renewal that works restores it.
            logger.warning("cannot renew the channel leases", metadata: ["error": "\(error)", "channels": "\(held.count)"])
            return
        }
        for (channel, lease) in held {
            if kept.contains(channel) {
                lease.renewed(startedMillis: startedMillis)
                continue
            }
            lease.markLost()
            state.withLock { s in if s.held[channel] === lease { s.held[channel] = nil } }
            metrics.leaseChange(channel: channel, change: "lost")
            logger.error("channel lost: another daemon took its lease over (this one stopped renewing for too long); starting nothing more for it",
                         metadata: ["channel": "\(channel)", "token": "\(lease.token)"])
            channels.runtime(named: channel)?.doorbell.ring()
            hooks.withLock { $0 }?.stop(channel)
        }
    }

    private func acquire(_ channel: String, seen: LeaseObservation) async {
        let runtime = channels.runtime(named: channel)
        guard runtime != nil || otherKeys.contains(channel) else { return }
        let started = Monotonic.millis()
        let token: Int64?
        do {
            token = try await store.acquireLease(channel: channel, daemon: me.id, expecting: seen, mps: runtime?.config.messagesPerSecond,
                                                 nowMillis: clock.nowMillis(), unknownWaitMillis: unknownWaitMillis,
                                                 pairIntervalMillis: runtime?.config.rules.pairIntervalMillis ?? 0)
        } catch {
            logger.warning("cannot take the channel's lease", metadata: ["channel": "\(channel)", "error": "\(error)"])
            return
        }
        guard let token else { return }
        // The handover second keeps a previous owner's last requests and this one's first out
        // of one sliding second; a lease nobody ever held has no previous owner to wait for.
        var timings = self.timings
        if seen.token == 0 { timings.handoverMillis = 0 }
        let lease = ChannelLease(channel: channel, daemon: me.id, token: token, acquiredStartedMillis: started, timings: timings)
        let stopping = state.withLock { s -> Bool in
            if !s.stopping { s.held[channel] = lease }
            return s.stopping
        }
        if stopping {
            try? await store.releaseLease(channel: channel, daemon: me.id, token: token)
            return
        }
        metrics.leaseChange(channel: channel, change: seen.owner == nil ? "acquired" : "taken_over")
        logger.notice(seen.owner == nil ? "channel lease acquired" : "channel taken over from a daemon that stopped renewing its lease",
                      metadata: ["channel": "\(channel)", "token": "\(token)", "from": "\(seen.owner ?? "-")"])
        guard let runtime else { return }  // a subscriber's: its loop sees it
        // What other daemons changed while this one did not send the channel.
        if let pauses = try? await store.pauses() { runtime.setPause(pauses[channel]) }
        hooks.withLock { $0 }?.acquired(runtime, lease)
    }

    /// Pauses and resumes made through another daemon reach this one's workers here. A pause
    /// this daemon set itself in the last few seconds is kept even if the store does not have
    /// it yet (the recorder writes it with the attempt), and an ended timed pause is the
    /// worker's to lift.
    private func syncPauses(held: [String]) async {
        guard !held.isEmpty, let pauses = try? await store.pauses() else { return }
        let now = clock.nowMillis()
        for name in held {
            guard let runtime = channels.runtime(named: name) else { continue }
            let local = runtime.pause(nowMillis: now)
            let stored = pauses[name].flatMap { p in p.untilMillis.map { $0 > now } ?? true ? p : nil }
            guard local != stored else { continue }
            if stored == nil, let local, now - local.sinceMillis < 5_000 { continue }
            runtime.setPause(stored)
        }
    }

    /// Long polls and subscribers on other daemons wait on their own event signal: after this
    /// daemon's commits that wrote events, they hear of it (at most one announcement per 20 ms).
    private func announceEvents() async {
        let signal = store.eventSignal
        var seen = signal.generation
        var seenPeer = state.withLock { $0.peerRings }
        while !Task.isCancelled {
            await signal.wait(after: seen, until: clock.now() + 5 * Nanos.perSecond, clock: clock)
            let now = signal.generation, peer = state.withLock { $0.peerRings }
            let local = (now &- seen) > (peer &- seenPeer)
            (seen, seenPeer) = (now, peer)
            if local { await store.announce(["events:" + me.id]) }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Rings the owners' doorbells on news from other daemons; listens again after a lost connection.
    private func listenLoop() async {
        while !Task.isCancelled {
            do {
                try await store.listen { [weak self] topic in
                    guard let self else { return }
                    if topic.hasPrefix("lease:") { self.bell.ring(); return }
                    if topic.hasPrefix("events:") {
                        guard topic != "events:" + self.me.id else { return }
                        self.state.withLock { $0.peerRings &+= 1 }
                        self.store.eventSignal.ring()
                        return
                    }
                    if self.lease(topic) != nil { self.channels.runtime(named: topic)?.doorbell.ring() }
                }
            } catch {
                if !Task.isCancelled { logger.warning("lost the connection that hears other daemons; polling until it is back", metadata: ["error": "\(error)"]) }
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
