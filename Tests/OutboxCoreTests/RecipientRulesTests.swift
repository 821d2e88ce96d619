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
