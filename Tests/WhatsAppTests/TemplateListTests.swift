import OutboxCore
import Testing
@testable import WhatsApp

/// 360dialog's template list read into specs, bounded where it enters; the template and
/// preference fields of webhook payloads.
@Suite("Template list and template webhooks")
struct TemplateListTests {
    static let page = #"""
    {"count":4,"total":9,"offset":0,"limit":4,"waba_templates":[
     {"name":"order_update","language":"en_US","category":"UTILITY","status":"approved","quality_score":{"score":"GREEN"},
      "components":[{"type":"BODY","text":"Hi {{1}}, order {{2}} ships, {{1}}!"}]},
     {"name":"spring_sale","language":"de","category":"MARKETING","status":"paused",
      "components":[{"type":"HEADER","format":"IMAGE"},{"type":"BODY","text":"{{1}}"},
                    {"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"Stop"},{"type":"URL","url":"https://x.example/{{1}}"}]}]},
     {"name":"greeting","language":"en","category":"MARKETING","status":"APPROVED","parameter_format":"NAMED",
      "components":[{"type":"HEADER","format":"TEXT","text":"Hello {{first_name}}"},{"type":"BODY","text":"{{first_name}} in {{city}}"}]},
     {"name":"","language":"en","status":"APPROVED"}
    ]}
    """#

    @Test("a page: counts, positional and named bodies, header kinds, buttons with variables, an unreadable entry skipped")
    func parsePage() throws {
        let p = try TemplateList.parse(status: 200, body: Array(Self.page.utf8))
        #expect((p.entries, p.skipped, p.total) == (4, 1, 9))
        let order = try #require(p.specs.first { $0.name == "order_update" })
        #expect(order.bodyParameters == 2 && !order.isNamed && order.status == "APPROVED" && order.quality == "GREEN" && order.category == "utility")
        let sale = try #require(p.specs.first { $0.name == "spring_sale" })
        #expect(sale.header == .init(format: "image", parameters: 1))
        #expect(sale.buttons == [.init(type: "quick_reply", parameters: 0), .init(type: "url", parameters: 1)])
        #expect(sale.status == "PAUSED" && sale.isMarketing)
        let greeting = try #require(p.specs.first { $0.name == "greeting" })
        #expect(greeting.bodyNames == ["first_name", "city"] && greeting.header == .init(format: "text", parameters: 1))
    }

    @Test("an error answer or a body that is not a list is a reason, not a catalog")
    func errors() {
        #expect(throws: TemplateListError.self) { try TemplateList.parse(status: 401, body: Array(#"{"meta":{"developer_message":"Invalid api_key"}}"#.utf8)) }
        #expect(throws: TemplateListError.self) { try TemplateList.parse(status: 200, body: Array("[]".utf8)) }
        #expect(throws: TemplateListError.self) { try TemplateList.parse(status: 200, body: Array("not json".utf8)) }
    }

    @Test("bounds: a name over 512 bytes, more than 10 buttons or 100 placeholders skip the entry")
    func bounds() throws {
        let long = String(repeating: "a", count: 513)
        let buttons = (0..<11).map { _ in #"{"type":"QUICK_REPLY"}"# }.joined(separator: ",")
        let many = (1...101).map { "{{\($0)}}" }.joined()
        let body = #"{"waba_templates":[{"name":"\#(long)","language":"en","status":"approved"},"#
            + #"{"name":"b","language":"en","status":"approved","components":[{"type":"BUTTONS","buttons":[\#(buttons)]}]},"#
            + #"{"name":"c","language":"en","status":"approved","components":[{"type":"BODY","text":"\#(many)"}]}]}"#
        let p = try TemplateList.parse(status: 200, body: Array(body.utf8))
        #expect(p.specs.isEmpty && p.skipped == 3)
    }

    @Test("message_template_status_update, quality updates and user_preferences are read from a Cloud payload")
    func webhookFields() throws {
        let body = #"""
        {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
         {"field":"message_template_status_update","value":{"event":"PAUSED","message_template_id":1,"message_template_name":"spring_sale",
          "message_template_language":"en_US","reason":"NONE","other_info":{"title":"SECOND_PAUSE","description":"Low quality"}}},
         {"field":"message_template_quality_update","value":{"previous_quality_score":"GREEN","new_quality_score":"RED",
          "message_template_id":1,"message_template_name":"spring_sale","message_template_language":"en_US"}},
         {"field":"user_preferences","value":{"messaging_product":"whatsapp","contacts":[{"wa_id":"4915112345678"}],
          "user_preferences":[{"wa_id":"4915112345678","detail":"User requested to stop marketing messages","category":"marketing_messages","value":"stop","timestamp":1731705721},
                              {"wa_id":"4915112345679","category":"marketing_messages","value":"resume","timestamp":1731705722},
                              {"wa_id":"4915112345670","category":"something_else","value":"stop"}]}}]}]}
        """#
        let p = try WebhookPayload.parse(Array(body.utf8))
        #expect(p.templateUpdates.count == 2)
        #expect(p.templateUpdates[0].status == "PAUSED" && p.templateUpdates[0].hint == "SECOND_PAUSE" && p.templateUpdates[0].reason == "Low quality")
        #expect(p.templateUpdates[1].status == nil && p.templateUpdates[1].quality == "RED")
        #expect(p.preferences.map(\.waID) == ["4915112345678", "4915112345679"])
        #expect(p.preferences.map(\.stop) == [true, false])
        #expect(p.preferences[0].timestampMillis == 1_731_705_721_000)
    }
}
