import OutboxCore
import Testing

@Suite("Messaging limit")
struct MessagingLimitTests {
    let day: Int64 = 86_400_000

    @Test("the budget is the used share of the tier, rounded down; unlimited has none")
    func budget() {
        #expect(MessagingLimit(portfolio: "p", tier: 250).budget == 237)
        #expect(MessagingLimit(portfolio: "p", tier: 2_000, share: 1).budget == 2_000)
        #expect(MessagingLimit(portfolio: "p", tier: 1, share: 0.5).budget == 1)
        #expect(MessagingLimit.unlimited("p").budget == nil)
    }

    @Test("only templates outside the window count")
    func counts() {
        #expect(MessagingLimit.counts(type: "template", windowOpen: false))
        #expect(!MessagingLimit.counts(type: "template", windowOpen: true))
        #expect(!MessagingLimit.counts(type: "text", windowOpen: false))
    }

    @Test("new recipients are admitted until the budget is used; then they wait; reached ones always go")
    func admit() {
        var b = ReachBudget(limit: MessagingLimit(portfolio: "p", tier: 2, share: 1), used: 1)
        #expect(b.admit(reachedMillis: nil, nowMillis: day) == .admit)
        #expect(b.used == 2 && b.exhausted)
        #expect(b.admit(reachedMillis: nil, nowMillis: day) == .wait)
        #expect(b.used == 2)
        // Reached within the last 24 h: costs nothing, even with the budget used up.
        #expect(b.admit(reachedMillis: 1, nowMillis: day) == .alreadyReached)
        // Reached exactly 24 h ago: no longer counts, so it is a new reach.
        #expect(b.admit(reachedMillis: 0, nowMillis: day) == .wait)
    }

    @Test("an unlimited portfolio admits everyone and keeps counting")
    func unlimited() {
        var b = ReachBudget(limit: .unlimited("p"), used: 1_000_000)
        #expect(b.admit(reachedMillis: nil, nowMillis: 0) == .admit)
        #expect(b.used == 1_000_001)
        #expect(!b.exhausted)
    }
}
