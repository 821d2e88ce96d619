import OutboxCore
import Testing
import TestSupport
import WhatsApp

/// A 2xx whose body is cut off is still the API's yes: kept with its wamid when that arrived,
/// an unknown outcome (never a failure) when it did not.
@Suite("Partial answers")
struct PartialAnswerTests {
    @Test("the wamid is found in a cut Cloud or On-Premise answer, and not in a cut one without it")
    func wamidInCutBodies() {
        let cloud = #"{"messaging_product":"whatsapp","contacts":[{"input":"+4915112345678","wa_id":"4915112345678"}],"messages":[{"id":"wamid.HBgLNDkxNTEx","message_status":"acc"#
        #expect(PartialAnswer.wamid(in: Array(cloud.utf8)) == "wamid.HBgLNDkxNTEx")
        #expect(PartialAnswer.wamid(in: Array(#"{"messages": [ { "id" : "gBEGkYiEB1VXAglK1ZEqA1YKPrU" } ], "me"#.utf8)) == "gBEGkYiEB1VXAglK1ZEqA1YKPrU")
        #expect(PartialAnswer.wamid(in: Array(#"{"messaging_product":"whatsapp","contacts":[{"input":"+49"#.utf8)) == nil)
        #expect(PartialAnswer.wamid(in: Array(#"{"messages":[{"id":"wamid.HBgLN"#.utf8)) == nil)
        #expect(PartialAnswer.wamid(in: Array(#"{"messages":[{"id":""}]}"#.utf8)) == nil)
        #expect(PartialAnswer.wamid(in: Array(#"{"messages":[{"id":"a\"b"}]}"#.utf8)) == nil)
        #expect(PartialAnswer.wamid(in: []) == nil)
    }

    @Test("a 200 whose body is cut off mid-way: accepted with its wamid; without one: unknown")
    func cutOffOverHTTP() async throws {
        let body = #"{"messaging_product":"whatsapp","contacts":[{"input":"+4915112345678","wa_id":"4915112345678"}],"messages":[{"id":"wamid.CUT1"}]}"#
        // Content-Length promises more than comes: the read fails after the wamid arrived.
        let withID = try CannedHTTPServer(answer: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n" + body)
        let withoutID = try CannedHTTPServer(answer: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"messaging_pro")
        let transport = HTTPTransport()
        func send(_ url: String) async -> SendResult {
            await transport.send(OutboundRequest(url: url + "/messages", apiKey: "k", body: "{}", timeoutMillis: 5_000, api: .cloud))
        }
        // The servers live to the end: released after their last use, a server's listener could
        // close before the request connects.
        defer { withExtendedLifetime((withID, withoutID)) {} }
        let first = await send(withID.url)
        #expect(first == .accepted(wamid: "wamid.CUT1", messageStatus: nil), "got \(first)")
        let second = await send(withoutID.url)
        guard case .unknown(let detail) = second else {
            Issue.record("a cut 200 without a wamid must be an unknown outcome, got \(second)")
            await transport.shutdown()
            return
        }
        #expect(detail.contains("HTTP 200"))
        await transport.shutdown()
    }
}
