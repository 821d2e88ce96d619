import OutboxCore
import Testing

@Suite("Recipient rules")
struct RecipientRulesTests {
    let hour: Int64 = 3_600_000
    var rules: RecipientRules {
        var r = RecipientRules()
        r.windowMarginMillis = 600_000
        return r
    }

    @Test("the window is open for 24 h after the customer's last message, less the margin")
    func window() {
        let wrote = RecipientState(lastInboundMillis: 0)
        #expect(rules.windowOpen(wrote, nowMillis: 23 * hour))
        #expect(!rules.windowOpen(wrote, nowMillis: 24 * hour - 600_000))
        #expect(!rules.windowOpen(nil, nowMillis: 0))
        #expect(!rules.windowOpen(RecipientState(), nowMillis: 0))
    }

    @Test("a 131047 closes the window until the customer writes again")
    func closed() {
        #expect(!rules.windowOpen(RecipientState(lastInboundMillis: 0, windowClosedMillis: hour), nowMillis: 2 * hour))
        #expect(rules.windowOpen(RecipientState(lastInboundMillis: 3 * hour, windowClosedMillis: hour), nowMillis: 4 * hour))
    }

    @Test("templates are always allowed; free-form needs the window unless the channel leaves it to the API")
    func verdicts() {
        #expect(rules.verdict(type: "template", recipient: nil, nowMillis: 0) == .send)
        #expect(rules.verdict(type: "text", recipient: nil, nowMillis: 0) == .windowClosed)
        var lax = rules
        lax.enforceWindow = false
        #expect(lax.verdict(type: "text", recipient: nil, nowMillis: 0) == .send)
    }

    @Test("a held recipient waits, whatever the message")
    func held() {
        let r = RecipientState(lastInboundMillis: 0, nextSendMillis: 5_000)
        #expect(rules.verdict(type: "template", recipient: r, nowMillis: 1_000) == .wait(untilMillis: 5_000))
        #expect(rules.verdict(type: "text", recipient: r, nowMillis: 5_000) == .send)
    }
}

@Suite("Adaptive rate")
struct AdaptiveRateTests {
    @Test("halves on throttling, at most once a second, and climbs back additively")
    func aimd() {
        var r = AdaptiveRate(configured: 1000)
        r.throttled(nowMillis: 0, observedRate: 1000)
        #expect(r.limit == 500)
        r.throttled(nowMillis: 200, observedRate: 500)
        #expect(r.limit == 500, "one burst of refusals is one signal")
        r.throttled(nowMillis: 1_200, observedRate: 500)
        #expect(r.limit == 250)
        let early = r.tick(nowMillis: 1_500)
        #expect(!early)
        let due = r.tick(nowMillis: 2_200)
        #expect(due)
        #expect(r.limit == 300)
        var t: Int64 = 2_200
        while r.limit < 1000 { t += 1_000; r.tick(nowMillis: t) }
        #expect(r.current == nil)
        #expect(t - 2_200 == 14_000)
    }

    @Test("a channel without a limit of its own starts from what it was doing")
    func unlimited() {
        var r = AdaptiveRate(configured: 0)
        #expect(r.limit == 0)
        r.throttled(nowMillis: 0, observedRate: 3000)
        #expect(r.limit == 1500)
        let changed = r.tick(nowMillis: 1_000)
        #expect(changed)
        #expect(r.limit == 1650)
    }

    @Test("a saved rate above the configured one is dropped")
    func restored() {
        #expect(AdaptiveRate(configured: 80, current: 40).limit == 40)
        #expect(AdaptiveRate(configured: 80, current: 200).limit == 80)
    }
}
