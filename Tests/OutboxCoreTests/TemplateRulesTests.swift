import OutboxCore
import Testing

/// The pure rules around templates and marketing: pauses (3 h, then 6 h), the management API's
/// hourly budget, opt-out words, the US rule.
@Suite("Template and marketing rules")
struct TemplateRulesTests {
    let now: Int64 = 1_800_000_000_000

    @Test("a pause holds for 3 h the first time, 6 h after; APPROVED releases; DISABLED fails")
    func statusEffects() {
        #expect(TemplateStatusRule.effect(status: "PAUSED", name: "t", pausesBefore: 0, nowMillis: now) == .hold(untilMillis: now + 3 * 3_600_000))
        #expect(TemplateStatusRule.effect(status: "paused", name: "t", pausesBefore: 1, nowMillis: now) == .hold(untilMillis: now + 6 * 3_600_000))
        // The webhook's own word wins over the count the daemon kept.
        #expect(TemplateStatusRule.effect(status: "PAUSED", name: "t", pausesBefore: 3, hint: "FIRST_PAUSE", nowMillis: now) == .hold(untilMillis: now + 3 * 3_600_000))
        #expect(TemplateStatusRule.effect(status: "APPROVED", name: "t", pausesBefore: 1, nowMillis: now) == .release)
        guard case .fail(let why) = TemplateStatusRule.effect(status: "DISABLED", name: "t", pausesBefore: 2, nowMillis: now) else { Issue.record("not failed"); return }
        #expect(why.contains("disabled"))
        #expect(TemplateStatusRule.effect(status: "FLAGGED", name: "t", pausesBefore: 0, nowMillis: now) == .none)
        #expect(TemplateStatusRule.pauseEnd(pausesBefore: 0, nowMillis: .max) == .max)
    }

    @Test("the hourly budget takes requests up to its size per rolling hour, then says when the next fits")
    func budget() {
        var b = RequestBudget(perHour: 3)
        let first = [b.take(nowMillis: now), b.take(nowMillis: now + 10), b.take(nowMillis: now + 20), b.take(nowMillis: now + 30)]
        #expect(first == [true, true, true, false])
        let next = b.nextFreeMillis(nowMillis: now + 30)
        #expect(next == now + 3_600_000)
        let later = [b.take(nowMillis: now + 3_600_000), b.take(nowMillis: now + 3_600_001)]
        #expect(later == [true, false])
        let used = b.used(nowMillis: now + 3_600_021)
        #expect(used == 1)
    }

    @Test("a whole message that is a STOP word, or a tapped payload, opts out; a sentence with the word does not")
    func words() throws {
        let w = OptOutWords(keywords: ["stop", " Unsubscribe "], payloads: ["STOP_PROMOS"])
        func msg(_ json: String) throws -> JSONValue { try JSONParser.parse(Array(json.utf8)) }
        #expect(w.match(try msg(#"{"type":"text","text":{"body":"  Stop "}}"#))?.source == "keyword")
        #expect(w.match(try msg(#"{"type":"text","text":{"body":"UNSUBSCRIBE"}}"#))?.word == "UNSUBSCRIBE")
        #expect(w.match(try msg(#"{"type":"text","text":{"body":"please don't stop"}}"#)) == nil)
        #expect(w.match(try msg(#"{"type":"button","button":{"payload":"stop_promos","text":"Stop promotions"}}"#))?.source == "payload")
        #expect(w.match(try msg(#"{"type":"interactive","interactive":{"button_reply":{"id":"STOP","title":"x"}}}"#))?.source == "keyword")
        #expect(OptOutWords().match(try msg(#"{"type":"text","text":{"body":"stop"}}"#)) == nil)
    }

    @Test("the US rule refuses marketing only to +1 numbers, and only when on")
    func usRule() {
        #expect(MarketingPolicy(refuseUSNumbers: true).refuses(recipient: "+14155550100"))
        #expect(!MarketingPolicy(refuseUSNumbers: true).refuses(recipient: "+4915112345678"))
        #expect(!MarketingPolicy().refuses(recipient: "+14155550100"))
    }
}
