import OutboxCore
import Testing

@Suite("Rate limiter")
struct RateLimiterTests {
    /// Drives the limiter as the worker does: start whenever allowed, as fast as allowed.
    func run(limit: Int, seconds: Int, burst: Double = 0.05) -> [Int64] {
        var limiter = RateLimiter(limit: limit, burstSeconds: burst)
        var now: Int64 = 1_000 * Nanos.perSecond
        let end = now + Int64(seconds) * Nanos.perSecond
        var starts: [Int64] = []
        while now < end {
            let t = limiter.nextAllowed(now: now)
            now = t
            if now >= end { break }
            limiter.record(now: now)
            starts.append(now)
        }
        return starts
    }

    func maxInAnyWindow(_ starts: [Int64]) -> Int {
        var best = 0
        var lo = 0
        for hi in starts.indices {
            while starts[hi] - starts[lo] >= Nanos.perSecond { lo += 1 }
            best = max(best, hi - lo + 1)
        }
        return best
    }

    @Test("never more than the limit in any one-second window", arguments: [1, 7, 80, 1000])
    func capHolds(limit: Int) {
        let starts = run(limit: limit, seconds: 5)
        #expect(maxInAnyWindow(starts) <= limit)
    }

    @Test("close to the limit while there is backlog")
    func rateIsReached() {
        let starts = run(limit: 1000, seconds: 10)
        #expect(starts.count >= 9_900)
        #expect(starts.count <= 10_000)
    }

    @Test("a burst on top of a steady rate does not break the cap")
    func burstAfterIdle() {
        // Given a limiter that ran at the full rate for a second, then idled half a second
        var limiter = RateLimiter(limit: 100, burstSeconds: 0.5)
        var now: Int64 = 0
        var starts: [Int64] = []
        for _ in 0..<100 {
            now = limiter.nextAllowed(now: now)
            limiter.record(now: now)
            starts.append(now)
        }
        now += Nanos.perSecond / 2
        // When it is asked for as many starts as it allows at once
        for _ in 0..<200 {
            now = limiter.nextAllowed(now: now)
            limiter.record(now: now)
            starts.append(now)
        }
        // Then no one-second window holds more than the limit
        #expect(maxInAnyWindow(starts) <= 100)
    }

    @Test("starts are spread over the second, not bunched at its start")
    func smooth() {
        let starts = run(limit: 100, seconds: 3, burst: 0.05)
        // In any 100 ms window after the first, about 10 starts, never 100.
        var lo = 0
        var worst = 0
        for hi in starts.indices where starts[hi] > starts[0] + Nanos.perSecond {
            while starts[hi] - starts[lo] >= Nanos.perSecond / 10 { lo += 1 }
            worst = max(worst, hi - lo + 1)
        }
        #expect(worst <= 16)
    }

    @Test("no limit means no wait")
    func unlimited() {
        var limiter = RateLimiter(limit: 0)
        for _ in 0..<10_000 { limiter.record(now: 5) }
        #expect(limiter.nextAllowed(now: 5) == 5)
    }

    @Test("lowering the limit keeps the cap across the change")
    func lowerLimit() {
        var limiter = RateLimiter(limit: 100, burstSeconds: 0)
        var now: Int64 = 0
        var starts: [Int64] = []
        for _ in 0..<100 {
            now = limiter.nextAllowed(now: now)
            limiter.record(now: now)
            starts.append(now)
        }
        limiter.setLimit(10)
        let next = limiter.nextAllowed(now: now)
        // The 10th-last start must have left the window before another may go.
        #expect(next >= starts[starts.count - 10] + Nanos.perSecond)
    }
}
