/// Which daemons are alive, as one daemon sees their heartbeat rows: a row whose beat counter
/// changed within a ttl on this daemon's own monotonic clock is alive (the contender's rule
/// again, so no host's wall clock is read). A row first seen counts as alive for a ttl: a
/// daemon that just started sees its peers at once, and a dead one's leftover row stops
/// counting a ttl later.
public struct DaemonLiveness: Sendable, Equatable {
    public let ttlMillis: Int64
    private var seen: [String: (beats: Int64, sinceMillis: Int64, firstMillis: Int64)] = [:]

    public init(ttlMillis: Int64) { self.ttlMillis = ttlMillis }

    public static func == (a: Self, b: Self) -> Bool {
        a.ttlMillis == b.ttlMillis && a.seen.mapValues { [$0.beats, $0.sinceMillis, $0.firstMillis] } == b.seen.mapValues { [$0.beats, $0.sinceMillis, $0.firstMillis] }
    }

    /// Reads the rows (daemon id → beat counter) at monotonic `nowMillis`.
    public mutating func observe(_ beats: [String: Int64], nowMillis: Int64) {
        for (id, n) in beats {
            if let s = seen[id], s.beats == n { continue }
            // Alive without a break since: a row that had gone quiet for a ttl starts over.
            let first = seen[id].map { nowMillis - $0.sinceMillis < ttlMillis ? $0.firstMillis : nowMillis } ?? nowMillis
            seen[id] = (n, nowMillis, first)
        }
        for id in seen.keys where beats[id] == nil { seen[id] = nil }
    }

    /// The daemons alive at `nowMillis`, and `me` (always), sorted.
    public func live(me: String, nowMillis: Int64) -> [String] {
        var ids = Set(seen.compactMap { id, s in nowMillis - s.sinceMillis < ttlMillis ? id : nil })
        ids.insert(me)
        return ids.sorted()
    }

    /// How long `id` has been alive without a break, as far as this daemon saw (0: not alive).
    public func aliveForMillis(_ id: String, nowMillis: Int64) -> Int64 {
        guard let s = seen[id], nowMillis - s.sinceMillis < ttlMillis else { return 0 }
        return nowMillis - s.firstMillis
    }

    /// Rows unchanged for `millis`: a dead daemon's leftovers, which anyone may delete.
    public func stale(olderThanMillis millis: Int64, nowMillis: Int64) -> [String] {
        seen.compactMap { id, s in nowMillis - s.sinceMillis >= millis ? id : nil }.sorted()
    }
}

/// Spreads channels over the live daemons and decides, for one daemon, which leases to take
/// and which to hand over; pure, on the daemon's monotonic clock (scale-out.md §4.8).
///
/// Every daemon computes the same assignment from the same inputs: the channels in name order,
/// each to the live daemon with the highest `hash(channel, daemon)` among those that have fewer
/// than their even share so far (`channels / live`, and one more for the first `channels % live` to reach it) (rendezvous hashing with a cap, so shares stay even and a
/// daemon joining or leaving moves few channels). A daemon takes a free channel assigned to it at
/// once, and any free channel left free for two ttls (its assignee may not configure it); a
/// dead owner's channel it takes when the contender rule allows and it is the assignee, or a ttl
/// later whoever it is. It hands a channel over gracefully when another live daemon (alive for
/// two ttls) is the assignee, at most one channel per `rebalanceEveryMillis`, so rolling restarts
/// do not churn. Races are harmless: the compare-and-set decides.
public struct LeasePlanner: Sendable {
    public let me: String
    public let timings: LeaseTimings
    private var contenders: [String: LeaseContender] = [:]
    /// Since when a channel has been seen free, or in a takeover-ready state, without a break.
    private var readySince: [String: (observation: LeaseObservation, sinceMillis: Int64)] = [:]
    private var lastHandOverMillis: Int64?
    /// Nothing is acquired before this (the first poll after start: peers starting together see each other first).
    private let settledAtMillis: Int64

    public enum Decision: Sendable, Equatable {
        case acquire(channel: String, expecting: LeaseObservation)
        case handOver(channel: String)
    }

    public init(me: String, timings: LeaseTimings, startedMillis: Int64) {
        self.me = me
        self.timings = timings
        self.settledAtMillis = TimeMath.add(startedMillis, timings.renewEveryMillis)
    }

    /// At most one graceful handover per this long (three ttls).
    public var rebalanceEveryMillis: Int64 { TimeMath.multiply(timings.ttlMillis, 3) }

    /// The assignee of every channel among `live` (both sorted the same way by every daemon).
    public static func assignment(channels: [String], live: [String]) -> [String: String] {
        guard !live.isEmpty else { return [:] }
        let names = channels.sorted()
        // Every daemon gets `floor` channels, and `remainder` of them one more.
        let floor = names.count / live.count, remainder = names.count % live.count
        var load: [String: Int] = [:]
        var atCeiling = 0
        var out: [String: String] = [:]
        for c in names {
            var best: (daemon: String, score: UInt64)?
            for d in live where load[d, default: 0] < floor || (load[d, default: 0] == floor && atCeiling < remainder) {
                let score = rendezvousScore(channel: c, daemon: d)
                if best == nil || score > best!.score || (score == best!.score && d < best!.daemon) { best = (d, score) }
            }
            if let best {
                out[c] = best.daemon
                if load[best.daemon, default: 0] == floor { atCeiling += 1 }
                load[best.daemon, default: 0] += 1
            }
        }
        return out
    }

    /// FNV-1a 64 of `channel`, a zero byte and `daemon`, then mixed (splitmix64's finaliser) so
    /// near-equal ids do not score alike.
    static func rendezvousScore(channel: String, daemon: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in channel.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        h = (h ^ 0) &* 0x100_0000_01b3
        for b in daemon.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        h = (h ^ (h >> 30)) &* 0xbf58_476d_1ce4_e5b9
        h = (h ^ (h >> 27)) &* 0x94d0_49bb_1331_11eb
        return h ^ (h >> 31)
    }

    /// The decisions at monotonic `nowMillis`, from the lease rows of the channels this daemon
    /// configures and the live daemons (`liveness`).
    public mutating func plan(leases: [String: LeaseObservation], liveness: DaemonLiveness, nowMillis: Int64) -> [Decision] {
        let live = liveness.live(me: me, nowMillis: nowMillis)
        let assigned = Self.assignment(channels: Array(leases.keys), live: live)
        let ttl = timings.ttlMillis
        var out: [Decision] = []
        for c in leases.keys.sorted() {
            let o = leases[c]!
            var contender = contenders[c] ?? LeaseContender(me: me, timings: timings)
            let action = contender.observe(o, nowMillis: nowMillis)
            contenders[c] = contender
            switch action {
            case .owned:
                readySince[c] = nil
            case .wait:
                readySince[c] = nil
            case .acquire(let expecting):
                if readySince[c]?.observation != expecting { readySince[c] = (expecting, nowMillis) }
                guard nowMillis >= settledAtMillis else { continue }
                let waited = nowMillis - readySince[c]!.sinceMillis
                // Free: the assignee at once, anyone after two ttls. A dead owner's: the
                // assignee as soon as the contender rule allows, anyone a ttl later.
                let fallback = expecting.owner == nil ? TimeMath.multiply(ttl, 2) : ttl
                if assigned[c] == me || waited >= fallback { out.append(.acquire(channel: c, expecting: expecting)) }
            }
        }
        // Rebalancing: one owned channel whose assignee is another, settled, live daemon.
        if lastHandOverMillis.map({ nowMillis - $0 >= rebalanceEveryMillis }) ?? (nowMillis >= settledAtMillis) {
            for c in leases.keys.sorted() where leases[c]!.owner == me {
                guard let other = assigned[c], other != me,
                      liveness.aliveForMillis(other, nowMillis: nowMillis) >= TimeMath.multiply(ttl, 2) else { continue }
                lastHandOverMillis = nowMillis
                out.append(.handOver(channel: c))
                break
            }
        }
        for c in contenders.keys where leases[c] == nil { contenders[c] = nil; readySince[c] = nil }
        return out
    }
}
