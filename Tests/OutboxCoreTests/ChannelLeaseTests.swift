import OutboxCore
import Testing

/// Channel leases without a database: when a contender may take a channel, and until when an
/// owner may start requests (scale-out.md §4.3). Times are each daemon's monotonic milliseconds.
@Suite("Channel leases")
struct ChannelLeaseTests {
    let timings = LeaseTimings(ttlMillis: 2_000, marginMillis: 600)

    @Test("a free lease is taken at once; one's own is owned")
    func freeAndOwned() {
        var c = LeaseContender(me: "b", timings: timings)
        let free = LeaseObservation(owner: nil, token: 4, renewals: 9)
        #expect(c.observe(free, nowMillis: 0) == .acquire(expecting: free))
        #expect(c.observe(LeaseObservation(owner: "b", token: 5, renewals: 10), nowMillis: 1) == .owned(token: 5))
    }

    @Test("another owner's lease is taken over only after it stayed unchanged for a whole ttl, on the contender's clock")
    func takeover() {
        var c = LeaseContender(me: "b", timings: timings)
        let a1 = LeaseObservation(owner: "a", token: 1, renewals: 1)
        #expect(c.observe(a1, nowMillis: 10_000) == .wait(untilMillis: 12_000))
        #expect(c.observe(a1, nowMillis: 11_999) == .wait(untilMillis: 12_000))
        // A renewal resets the count: the owner is alive.
        let a2 = LeaseObservation(owner: "a", token: 1, renewals: 2)
        #expect(c.observe(a2, nowMillis: 11_999) == .wait(untilMillis: 13_999))
        #expect(c.observe(a2, nowMillis: 13_999) == .acquire(expecting: a2))
        // So does a new owner.
        let z = LeaseObservation(owner: "z", token: 2, renewals: 3)
        #expect(c.observe(z, nowMillis: 14_000) == .wait(untilMillis: 16_000))
    }

    @Test("the owner may start from the handover gap after acquisition until ttl - margin after its last renewal began")
    func trust() {
        var t = LeaseTrust(token: 7, acquiredStartedMillis: 1_000, timings: timings)
        #expect(!t.mayStart(nowMillis: 1_999))       // the new owner's limiter starts full
        #expect(t.mayStart(nowMillis: 2_000))
        #expect(t.mayStart(nowMillis: 2_399) && !t.mayStart(nowMillis: 2_400))  // 1,000 + 2,000 - 600
        #expect(t.lapsed(nowMillis: 2_400))
        // A renewal that began at 2,100 (it may have finished much later) trusts until 3,500.
        t.renewed(startedMillis: 2_100)
        #expect(t.trustedUntilMillis == 3_500 && t.mayStart(nowMillis: 3_499) && !t.mayStart(nowMillis: 3_500))
        // An older renewal's late success never shortens trust.
        t.renewed(startedMillis: 1_500)
        #expect(t.trustedUntilMillis == 3_500)
        #expect(timings.renewEveryMillis == 400)
    }

    @Test("the last start of an owner comes before any takeover: ttl - margin < ttl for every renewal")
    func neverOverlap() {
        // The contender saw the renewal only after it committed, so it counts from later than
        // the renewal's start: its takeover is at least start + ttl, the owner's last start
        // before start + ttl - margin.
        for start in stride(from: Int64(0), to: 10_000, by: 397) {
            let t = LeaseTrust(token: 1, acquiredStartedMillis: start, timings: timings)
            var c = LeaseContender(me: "b", timings: timings)
            let seen = LeaseObservation(owner: "a", token: 1, renewals: 1)
            _ = c.observe(seen, nowMillis: start)
            guard case .wait(let takeover) = c.observe(seen, nowMillis: start) else { Issue.record("took over at once"); return }
            #expect(t.trustedUntilMillis + timings.marginMillis == takeover)
            #expect(!t.mayStart(nowMillis: takeover - timings.marginMillis))
        }
    }
}
