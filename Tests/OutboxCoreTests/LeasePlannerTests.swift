import OutboxCore
import Testing

/// Spreading channels over daemons, without a database: which leases a daemon takes and hands
/// over (scale-out.md §4.8). Times are the daemon's monotonic milliseconds.
@Suite("Lease planner")
struct LeasePlannerTests {
    let timings = LeaseTimings(ttlMillis: 2_000, marginMillis: 600)
    let free = LeaseObservation(owner: nil, token: 0, renewals: 0)

    func liveness(_ beats: [String: Int64], at now: Int64) -> DaemonLiveness {
        var l = DaemonLiveness(ttlMillis: 2_000)
        l.observe(beats, nowMillis: now)
        return l
    }

    @Test("the assignment is even, the same from every daemon's view, and moves few channels when a daemon leaves")
    func assignment() {
        let channels = (1...10).map { "ch\($0)" }
        let three = LeasePlanner.assignment(channels: channels, live: ["a", "b", "c"])
        let counts = Dictionary(grouping: three.values, by: { $0 }).mapValues(\.count)
        #expect(counts.values.sorted() == [3, 3, 4])
        #expect(LeasePlanner.assignment(channels: channels.reversed(), live: ["a", "b", "c"]) == three)
        let two = LeasePlanner.assignment(channels: channels, live: ["a", "b"])
        #expect(Set(two.values) == ["a", "b"])
        #expect(LeasePlanner.assignment(channels: [], live: ["a"]).isEmpty)
        #expect(LeasePlanner.assignment(channels: channels, live: []).isEmpty)
    }

    @Test("nothing is taken in the first poll after start; then free channels assigned to this daemon at once, others' after two ttls")
    func freeChannels() {
        var p = LeasePlanner(me: "a", timings: timings, startedMillis: 0)
        let leases = ["x": free, "y": free]
        let live = liveness(["a": 1, "b": 1], at: 0)
        let mine = LeasePlanner.assignment(channels: ["x", "y"], live: ["a", "b"])
        #expect(p.plan(leases: leases, liveness: live, nowMillis: 100).isEmpty)
        let first = p.plan(leases: leases, liveness: live, nowMillis: 400)
        let expected = mine.filter { $0.value == "a" }.keys.sorted().map { LeasePlanner.Decision.acquire(channel: $0, expecting: free) }
        #expect(first == expected)
        // b's channel, still free two ttls later (b does not configure it, say): a takes it too.
        var live2 = live
        live2.observe(["a": 2, "b": 2], nowMillis: 3_000)
        // (Free since the first look, at 100, though nothing was taken before 400.)
        #expect(p.plan(leases: leases, liveness: live2, nowMillis: 4_099).count == expected.count)
        #expect(p.plan(leases: leases, liveness: live2, nowMillis: 4_100).count == 2)
    }

    @Test("a dead owner's channel: its assignee takes it when the contender rule allows; anyone a ttl later")
    func deadOwner() {
        let dead = LeaseObservation(owner: "z", token: 3, renewals: 7)
        let live = ["a", "b"]
        let assignee = LeasePlanner.assignment(channels: ["x"], live: live)["x"]!
        let other = live.first { $0 != assignee }!
        var beats = DaemonLiveness(ttlMillis: 2_000)
        var pa = LeasePlanner(me: assignee, timings: timings, startedMillis: 0)
        var po = LeasePlanner(me: other, timings: timings, startedMillis: 0)
        for t in stride(from: Int64(0), through: 6_000, by: 400) {
            beats.observe(["a": t, "b": t, "z": 0], nowMillis: t)
            let a = pa.plan(leases: ["x": dead], liveness: beats, nowMillis: t)
            let o = po.plan(leases: ["x": dead], liveness: beats, nowMillis: t)
            // Unchanged since 0: the contender rule allows at 2,000; the fallback at 4,000.
            #expect(a == (t >= 2_000 ? [.acquire(channel: "x", expecting: dead)] : []), "t=\(t)")
            #expect(o == (t >= 4_000 ? [.acquire(channel: "x", expecting: dead)] : []), "t=\(t)")
        }
    }

    @Test("a renewing owner's channel is never taken")
    func liveOwner() {
        var p = LeasePlanner(me: "a", timings: timings, startedMillis: 0)
        var beats = DaemonLiveness(ttlMillis: 2_000)
        for t in stride(from: Int64(0), through: 20_000, by: 400) {
            beats.observe(["a": t, "b": t], nowMillis: t)
            let o = LeaseObservation(owner: "b", token: 1, renewals: t / 400)
            #expect(p.plan(leases: ["x": o], liveness: beats, nowMillis: t).isEmpty)
        }
    }

    @Test("an owned channel assigned to another daemon alive for two ttls is handed over, one per three ttls")
    func rebalance() {
        let channels = (1...6).map { "ch\($0)" }
        let assigned = LeasePlanner.assignment(channels: channels, live: ["a", "b"])
        var p = LeasePlanner(me: "a", timings: timings, startedMillis: 0)
        var beats = DaemonLiveness(ttlMillis: 2_000)
        var handed: [(Int64, String)] = []
        for t in stride(from: Int64(0), through: 20_000, by: 400) {
            beats.observe(["a": t, "b": t], nowMillis: t)
            // a holds all six (b came late); the rows do not change (a's own renewals aside).
            let leases = Dictionary(uniqueKeysWithValues: channels.map { ($0, LeaseObservation(owner: "a", token: 1, renewals: 1)) })
            for case .handOver(let c) in p.plan(leases: leases, liveness: beats, nowMillis: t) { handed.append((t, c)) }
        }
        #expect(handed.map(\.0) == [4_000, 10_000, 16_000])
        #expect(handed.allSatisfy { assigned[$0.1] == "b" })
    }

    @Test("liveness: a row counts from first sight for a ttl, and while its beats change")
    func liveness() {
        var l = DaemonLiveness(ttlMillis: 2_000)
        l.observe(["a": 5, "b": 9], nowMillis: 1_000)
        #expect(l.live(me: "me", nowMillis: 2_999) == ["a", "b", "me"])
        l.observe(["a": 6, "b": 9], nowMillis: 2_500)
        #expect(l.live(me: "me", nowMillis: 3_000) == ["a", "me"])
        #expect(l.aliveForMillis("a", nowMillis: 3_000) == 2_000 && l.aliveForMillis("b", nowMillis: 3_000) == 0)
        #expect(l.stale(olderThanMillis: 2_000, nowMillis: 3_000) == ["b"])
        l.observe(["a": 7], nowMillis: 3_100)
        #expect(l.live(me: "me", nowMillis: 3_100) == ["a", "me"])
        // A daemon that went quiet (frozen) and beats again is alive again from then on.
        l.observe(["a": 8], nowMillis: 9_000)
        #expect(l.aliveForMillis("a", nowMillis: 9_500) == 500)
    }
}
