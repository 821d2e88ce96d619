import OutboxCore
import Testing

@Suite("Subscriber health")
struct SubscriberHealthTests {
    /// Always the top of the jitter range, so delays are exact.
    struct Top: RandomNumberGenerator { mutating func next() -> UInt64 { .max } }

    @Test("failures back off exponentially up to the cap, and only the give-up age marks it failing, once")
    func backoffAndGiveUp() {
        var h = SubscriberHealth(baseDelayMillis: 100, maxDelayMillis: 1_000, giveUpAfterMillis: 5_000)
        var rng = Top()
        var delays: [Int64] = []
        var changes: [SubscriberHealth.Change] = []
        for t in stride(from: Int64(0), through: 7_000, by: 1_000) {
            let (at, change) = h.failed(nowMillis: t, using: &rng)
            delays.append(at - t)
            changes.append(change)
        }
        #expect(delays == [100, 200, 400, 800, 1_000, 1_000, 1_000, 1_000])
        #expect(changes.filter { $0 != .none } == [.becameFailing(sinceMillis: 0)])
        #expect(h.isFailing)
        #expect(h.succeeded() == .recovered)
        #expect(!h.isFailing && h.failures == 0)
        #expect(h.succeeded() == .none)
    }

    @Test("full jitter: a delay is anywhere from 0 to its ceiling")
    func jitter() {
        var h = SubscriberHealth(baseDelayMillis: 100, maxDelayMillis: 1_000, giveUpAfterMillis: 5_000)
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let (at, _) = h.failed(nowMillis: 0, using: &rng)
            #expect(at >= 0 && at <= 1_000)
        }
    }

    @Test("a subscriber stored as failing starts failing and recovers on its first success; huge times never trap")
    func restored() {
        var h = SubscriberHealth(maxDelayMillis: 60_000, giveUpAfterMillis: 1_000, failingSinceMillis: 5)
        var rng = SystemRandomNumberGenerator()
        #expect(h.isFailing)
        #expect(h.failed(nowMillis: .max - 1, using: &rng).change == .none)
        #expect(h.succeeded() == .recovered)
    }
}
