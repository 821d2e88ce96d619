import Foundation
import OutboxCore
import Testing

@Suite("Spam-limit hold")
struct SpamHoldTests {
    let minute: Int64 = 60_000

    @Test("the hold escalates 15 min, 1 h, 6 h as the limit repeats within 24 h, then starts over")
    func escalates() throws {
        let first = try #require(SpamHold.after(nil, requestStartedMillis: 0, nowMillis: 1_000))
        #expect(first.level == 1 && first.untilMillis == 1_000 + 15 * minute)
        let second = try #require(SpamHold.after(first, requestStartedMillis: first.untilMillis, nowMillis: first.untilMillis + 10))
        #expect(second.level == 2 && second.untilMillis - second.sinceMillis == 60 * minute)
        let third = try #require(SpamHold.after(second, requestStartedMillis: second.untilMillis, nowMillis: second.untilMillis + 10))
        #expect(third.level == 3 && third.untilMillis - third.sinceMillis == 6 * 60 * minute)
        let fourth = try #require(SpamHold.after(third, requestStartedMillis: third.untilMillis, nowMillis: third.untilMillis))
        #expect(fourth.level == 4 && fourth.untilMillis - fourth.sinceMillis == 6 * 60 * minute, "the longest step repeats")
        let later = fourth.sinceMillis + SpamHold.memoryMillis + 1
        #expect(SpamHold.after(fourth, requestStartedMillis: later, nowMillis: later)?.level == 1, "a day without the limit forgets it")
    }

    @Test("answers to requests started before the level began are the same episode: no escalation")
    func sameEpisode() throws {
        let first = try #require(SpamHold.after(nil, requestStartedMillis: 900, nowMillis: 1_000))
        #expect(SpamHold.after(first, requestStartedMillis: 950, nowMillis: 1_200) == nil)
        #expect(SpamHold.after(first, requestStartedMillis: 500, nowMillis: 5 * minute) == nil, "a late status of an earlier send")
    }

    @Test("level 1 holds normal and bulk; high priority is held only once the limit repeated")
    func priorities() throws {
        let first = try #require(SpamHold.after(nil, requestStartedMillis: 0, nowMillis: 0))
        #expect(first.holds(.bulk, nowMillis: 1) && first.holds(.normal, nowMillis: 1))
        #expect(!first.holds(.high, nowMillis: 1))
        #expect(!first.holds(.bulk, nowMillis: first.untilMillis), "it ends")
        let second = try #require(SpamHold.after(first, requestStartedMillis: 10, nowMillis: 10))
        #expect(second.holds(.high, nowMillis: 11))
    }

    @Test("times at the ends of the range never trap")
    func saturates() {
        let hold = SpamHold.after(nil, requestStartedMillis: .max, nowMillis: .max)
        #expect(hold?.untilMillis == .max)
        let old = SpamHold(level: 3, sinceMillis: .max - 5, untilMillis: .max)
        #expect(SpamHold.after(old, requestStartedMillis: .max, nowMillis: .max) != nil)
    }
}

@Suite("Recipients marked unreachable")
struct UnreachableRuleTests {
    let rules = RecipientRules()
    let day: Int64 = 86_400_000

    @Test("after a 131026 later messages fail without a request for 24 h, templates too")
    func failsForADay() {
        let state = RecipientState(unreachableMillis: 1_000)
        #expect(rules.verdict(type: "template", recipient: state, nowMillis: 2_000) == .unreachable(sinceMillis: 1_000))
        #expect(rules.verdict(type: "text", recipient: state, nowMillis: 1_000 + day - 1) == .unreachable(sinceMillis: 1_000))
        #expect(rules.verdict(type: "template", recipient: state, nowMillis: 1_000 + day) == .send, "tried again after the hold")
        #expect(rules.unreachableReason(sinceMillis: 1_000).hasPrefix("recipient_unreachable"))
    }

    @Test("a customer who wrote after the mark is reachable")
    func inboundClears() {
        let state = RecipientState(lastInboundMillis: 5_000, unreachableMillis: 1_000)
        #expect(rules.verdict(type: "text", recipient: state, nowMillis: 6_000) == .send)
    }
}

@Suite("BSUID recipients")
struct BSUIDTests {
    @Test("business-scoped user ids are kept as given", arguments: ["US.13491208655302741918", "BR.abc123XYZ", "DE.ENT.42"])
    func valid(id: String) throws {
        let r = try Recipient(bsuid: id)
        #expect(r.e164 == id && r.isBSUID)
        #expect(try !Recipient(parsing: "+4915112345678").isBSUID)
    }

    @Test("anything else is refused, naming the field", arguments: ["", "US", "us.123", "US-123", "US.", "US.12 3", "US.1.2.3", "+4915112345678"])
    func refused(id: String) {
        do {
            _ = try Recipient(bsuid: id)
            Issue.record("accepted \(id)")
        } catch {
            #expect(error.field == "recipient")
        }
    }
}

@Suite("Payloads the validator used to refuse")
struct PayloadGapTests {
    func fieldOf(_ text: String) -> String? {
        do {
            try MessageValidator.validate(json(text))
            return nil
        } catch {
            return error.field
        }
    }

    @Test("valid Cloud payloads pass", arguments: [
        // limited-time offer parameter
        #"{"type":"template","template":{"name":"lto","language":{"code":"en"},"components":[{"type":"limited_time_offer","parameters":[{"type":"limited_time_offer","limited_time_offer":{"expiration_time_ms":1767225600000}}]}]}}"#,
        // product header parameter
        #"{"type":"template","template":{"name":"spm","language":{"code":"en"},"components":[{"type":"header","parameters":[{"type":"product","product":{"product_retailer_id":"sku-1","catalog_id":"194836987003835"}}]}]}}"#,
        // tap target configuration
        #"{"type":"template","template":{"name":"tt","language":{"code":"en"},"components":[{"type":"tap_target_configuration","parameters":[{"type":"tap_target_configuration","tap_target_configuration":{"title":"Shop","url":"https://shop.example.com"}}]}]}}"#,
        // template carousel with cards
        #"{"type":"template","template":{"name":"c","language":{"code":"en"},"components":[{"type":"carousel","cards":[{"card_index":0,"components":[{"type":"header","parameters":[{"type":"image","image":{"link":"https://a.io/1.png"}}]},{"type":"button","sub_type":"quick_reply","index":"0","parameters":[{"type":"payload","payload":"p"}]}]},{"card_index":1,"components":[{"type":"header","parameters":[{"type":"image","image":{"id":"2"}}]}]}]}]}}"#,
        // interactive media carousel
        #"{"type":"interactive","interactive":{"type":"carousel","body":{"text":"Pick"},"action":{"cards":[{"card_index":0,"type":"cta_url","header":{"type":"image","image":{"link":"https://a.io/1.png"}},"body":{"text":"One"},"action":{"name":"cta_url","parameters":{"display_text":"Buy","url":"https://a.io"}}},{"card_index":1,"type":"cta_url","header":{"type":"video","video":{"link":"https://a.io/2.mp4"}},"action":{"name":"cta_url","parameters":{"display_text":"Buy","url":"https://a.io"}}}]}}}"#,
        // product carousel
        #"{"type":"interactive","interactive":{"type":"carousel","body":{"text":"Pick"},"action":{"cards":[{"card_index":0,"type":"product","action":{"product_retailer_id":"a","catalog_id":"c"}},{"card_index":1,"type":"product","action":{"product_retailer_id":"b","catalog_id":"c"}}]}}}"#,
        #"{"type":"interactive","interactive":{"type":"voice_call","body":{"text":"Call us"},"action":{"name":"voice_call","parameters":{"display_text":"Call now","ttl_minutes":100}}}}"#,
        #"{"type":"interactive","interactive":{"type":"request_contact_info","body":{"text":"May we have your number?"},"action":{"name":"request_contact_info"}}}"#,
        // a single product message without body
        #"{"type":"interactive","interactive":{"type":"product","action":{"catalog_id":"c","product_retailer_id":"sku"}}}"#,
    ])
    func passes(message: String) {
        #expect(fieldOf(message) == nil, "\(message)")
    }

    @Test("broken carousels and new parameters name their field", arguments: [
        (#"{"type":"interactive","interactive":{"type":"carousel","body":{"text":"x"},"action":{"cards":[{"card_index":0,"header":{"type":"image","image":{"link":"https://a"}},"action":{}}]}}}"#, "interactive.action.cards"),
        (#"{"type":"interactive","interactive":{"type":"carousel","body":{"text":"x"},"action":{"cards":[{"card_index":0,"header":{"type":"image","image":{"link":"https://a"}},"action":{}},{"card_index":0,"header":{"type":"image","image":{"link":"https://a"}},"action":{}}]}}}"#, "interactive.action.cards.1.card_index"),
        (#"{"type":"interactive","interactive":{"type":"carousel","body":{"text":"x"},"action":{"cards":[{"card_index":0,"action":{}},{"card_index":1,"header":{"type":"text","text":"t"},"action":{}}]}}}"#, "interactive.action.cards.0.header"),
        (#"{"type":"template","template":{"name":"c","language":{"code":"en"},"components":[{"type":"carousel","cards":[{"components":[{"type":"body"}]}]}]}}"#, "template.components.0.cards.0.card_index"),
        (#"{"type":"template","template":{"name":"c","language":{"code":"en"},"components":[{"type":"carousel","cards":[{"card_index":0,"components":[{"type":"header","parameters":[{"type":"image","image":{}}]}]}]}]}}"#, "template.components.0.cards.0.components.0.parameters.0.image"),
        (#"{"type":"template","template":{"name":"l","language":{"code":"en"},"components":[{"type":"limited_time_offer","parameters":[{"type":"limited_time_offer","limited_time_offer":{"expiration_time_ms":"soon"}}]}]}}"#, "template.components.0.parameters.0.limited_time_offer.expiration_time_ms"),
        (#"{"type":"template","template":{"name":"p","language":{"code":"en"},"components":[{"type":"header","parameters":[{"type":"product","product":{}}]}]}}"#, "template.components.0.parameters.0.product.product_retailer_id"),
        (#"{"type":"interactive","interactive":{"type":"voice_call","action":{"name":"voice_call"}}}"#, "interactive.body"),
    ])
    func broken(message: String, field: String) {
        #expect(fieldOf(message) == field)
    }
}
