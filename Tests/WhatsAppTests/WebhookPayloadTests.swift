import OutboxCore
import Testing
import WhatsApp

@Suite("Webhook payloads")
struct WebhookPayloadTests {
    @Test("Cloud statuses and inbound messages are read from entry/changes/value")
    func cloud() throws {
        let body = #"""
        {"object":"whatsapp_business_account","entry":[{"id":"W","changes":[{"field":"messages","value":{
          "messaging_product":"whatsapp","metadata":{"display_phone_number":"1555","phone_number_id":"PN1"},
          "statuses":[{"id":"wamid.A","status":"failed","timestamp":"1750030073","recipient_id":"16505551234",
                       "biz_opaque_callback_data":"wao:x:7","errors":[{"code":131026,"title":"Message undeliverable","error_data":{"details":"d"}}]}],
          "contacts":[{"wa_id":"16505551234"}],
          "messages":[{"from":"16505551234","id":"wamid.B","timestamp":"1749416383","type":"text","text":{"body":"hi"}},
                      {"from":"16505551234","id":"wamid.C","timestamp":"1749416384","type":"system","system":{"body":"changed number"}}]}}]}]}
        """#
        let p = try WebhookPayload.parse(Array(body.utf8))
        #expect(p.phoneNumberIDs == ["PN1"])
        #expect(p.statuses.count == 1)
        #expect(p.statuses[0].wamid == "wamid.A")
        #expect(p.statuses[0].callbackData == "wao:x:7")
        #expect(p.statuses[0].timestampMillis == 1_750_030_073_000)
        #expect(p.statuses[0].error?.code == 131026)
        #expect(p.statuses[0].error?.details == "d")
        #expect(p.inbound.map(\.from) == ["16505551234"], "system messages are not the customer writing")
    }

    @Test("On-Premise statuses and messages are read from the top level")
    func onPremise() throws {
        let p = try WebhookPayload.parse(Array(#"{"statuses":[{"id":"gBEG1","recipient_id":"1631","status":"delivered","timestamp":"1518694700"}],"messages":[{"from":"1631","id":"X","timestamp":"1518694235","type":"text","text":{"body":"hi"}}]}"#.utf8))
        #expect(p.statuses.map(\.status) == ["delivered"])
        #expect(p.inbound.first?.timestampMillis == 1_518_694_235_000)
    }

    @Test("a timestamp out of range is dropped, not a crash")
    func hugeTimestamp() throws {
        let p = try WebhookPayload.parse(Array(#"{"statuses":[{"id":"w1","status":"sent","timestamp":"9223372036854775807"},{"id":"w2","status":"sent","timestamp":-9223372036854775807}]}"#.utf8))
        #expect(p.statuses.map(\.timestampMillis) == [nil, nil])
    }

    @Test("anything else is refused with a reason", arguments: ["not json", "[1]", #"{"hello":"world"}"#])
    func malformed(body: String) {
        #expect(throws: WebhookParseError.self) { try WebhookPayload.parse(Array(body.utf8)) }
    }

    @Test("webhook URLs follow 360dialog's rules", arguments: [
        ("https://hooks.example.com/wa", nil as String?),
        ("http://hooks.example.com/wa", "https"),
        ("https://my_hooks.example.com/wa", "underscore"),
        ("https://hooks.example.com:8443/wa", "port"),
        ("http://127.0.0.1:8088/webhooks/sales", nil),
        ("not a url", "not a URL"),
    ])
    func urlRules(url: String, problem: String?) {
        let found = WebhookURLRule.problem(url)
        if let problem { #expect(found?.contains(problem) == true, "\(found ?? "nil")") } else { #expect(found == nil) }
    }
}
