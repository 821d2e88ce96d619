import Foundation
import Testing
@testable import Sandbox

/// `POST /messages` and `POST /v1/messages` over real HTTP: answers, validation, keys.
@Suite("Sandbox send endpoints")
struct SandboxSendTests {
    @Test("a valid Cloud text is answered with Meta's success shape and recorded")
    func cloudSuccess() async throws {
        try await withSandboxServer { server, client in
            // Given a sandbox that accepts any key
            // When a valid Cloud text message is sent
            let body = Bodies.json([
                "messaging_product": "whatsapp", "to": "+49 151 1234-5678", "type": "text",
                "text": ["body": "hi"], "biz_opaque_callback_data": "outbox-42",
            ])
            let reply = try await client.send(body)

            // Then the answer is 200 with contacts and a wamid
            #expect(reply.status == 200)
            #expect(reply.json["messaging_product"] as? String == "whatsapp")
            let contact = (reply.json["contacts"] as? [[String: Any]])?.first
            #expect(contact?["input"] as? String == "+49 151 1234-5678")
            #expect(contact?["wa_id"] as? String == "4915112345678")
            let id = try #require(reply.messageID)
            #expect(id.hasPrefix("wamid."))
            #expect(reply.json["meta"] == nil)

            // And the message is recorded with a key fingerprint, never the key
            let received = server.state.received()
            #expect(received.count == 1)
            #expect(received.first?.wamid == id)
            #expect(received.first?.key == "test…")
            #expect(received.first?.api == "cloud")
            #expect(received.first?.type == "text")
            #expect(received.first?.callbackData == "outbox-42")
            #expect(received.first?.body == body)
        }
    }

    @Test("a valid On-Premise text is answered with the legacy shape, no messaging_product needed")
    func onPremiseSuccess() async throws {
        try await withSandboxServer { server, client in
            // Given a sandbox
            // When an On-Premise text is sent to /v1/messages
            let reply = try await client.send(Bodies.onPremiseText(to: "4915112345678"), path: "/v1/messages")

            // Then the answer has contacts, a gBEG id and the meta block
            #expect(reply.status == 200)
            #expect(reply.json["messaging_product"] == nil)
            let contact = (reply.json["contacts"] as? [[String: Any]])?.first
            #expect(contact?["input"] as? String == "4915112345678")
            #expect(contact?["wa_id"] as? String == "4915112345678")
            #expect(reply.messageID?.hasPrefix("gBEG") == true)
            let meta = reply.json["meta"] as? [String: Any]
            #expect(meta?["api_status"] as? String == "stable")
            #expect(meta?["version"] as? String == "2.51.2")
            #expect(server.state.received().first?.api == "onpremise")
        }
    }

    @Test("an unknown or missing key is refused with 360dialog's 401")
    func wrongKey() async throws {
        let configuration = SandboxConfiguration(keys: ["good-key": SandboxKey()])
        try await withSandboxServer(configuration) { server, client in
            // Given a sandbox that knows one key
            // When a message is sent with another key, and one without any key
            let wrong = try await client.sendText(to: "+4915112345678", key: "bad-key")
            let missing = try await client.sendText(to: "+4915112345678", key: nil)
            let good = try await client.sendText(to: "+4915112345678", key: "good-key")

            // Then both are refused with the meta body and only the good one is accepted
            for reply in [wrong, missing] {
                #expect(reply.status == 401)
                let meta = reply.json["meta"] as? [String: Any]
                #expect(meta?["success"] as? Bool == false)
                #expect(meta?["http_code"] as? Int == 401)
                #expect(meta?["developer_message"] as? String == "Invalid api_key")
            }
            #expect(good.status == 200)
            #expect(server.state.requestCount() == 3)
            #expect(server.state.received().count == 1)
        }
    }

    @Test("a body without `to` is refused with 131008 in the Cloud error shape")
    func missingTo() async throws {
        try await withSandboxServer { server, client in
            // Given a sandbox
            // When a text without `to` is sent
            let reply = try await client.send(Bodies.json(["messaging_product": "whatsapp", "type": "text", "text": ["body": "x"]]))

            // Then it is refused with 131008 and the Graph error envelope
            #expect(reply.status == 400)
            let error = try #require(reply.json["error"] as? [String: Any])
            #expect(error["code"] as? Int == 131008)
            #expect(error["message"] as? String == "(#131008) Required parameter is missing")
            #expect(error["type"] as? String == "OAuthException")
            #expect((error["error_data"] as? [String: Any])?["details"] as? String == "The parameter to is required.")
            #expect(error["fbtrace_id"] is String)
            #expect(server.state.received().isEmpty)
        }
    }

    @Test("a text over 4096 characters is refused with 100; exactly 4096 is accepted")
    func textTooLong() async throws {
        try await withSandboxServer { _, client in
            // Given a sandbox
            // When texts of 4097 and 4096 characters are sent
            let tooLong = try await client.sendText(to: "+4915112345678", text: String(repeating: "é", count: 4097))
            let longest = try await client.sendText(to: "+4915112345678", text: String(repeating: "é", count: 4096))

            // Then the first is refused with code 100, the second accepted
            #expect(tooLong.status == 400)
            #expect(tooLong.errorCode == 100)
            #expect(longest.status == 200)
        }
    }

    @Test("other common body mistakes get the codes of the real API", arguments: [
        (#"not json"#, 100),
        (#"{"to":"+4915112345678","type":"text","text":{"body":"x"}}"#, 100),
        (#"{"messaging_product":"whatsapp","to":"+4915112345678","text":{"body":"x"}}"#, 131008),
        (#"{"messaging_product":"whatsapp","to":"+4915112345678","type":"image"}"#, 131008),
        (#"{"messaging_product":"whatsapp","to":"+4915112345678","type":"text","text":{}}"#, 131008),
        (#"{"messaging_product":"whatsapp","to":"+4915112345678","type":"template","template":{"language":{"code":"en"}}}"#, 131008),
        (#"{"messaging_product":"whatsapp","to":"+4915112345678","type":"template","template":{"name":"t","language":{}}}"#, 131008),
        (#"{"messaging_product":"whatsapp","to":"+49-abc","type":"text","text":{"body":"x"}}"#, 131009),
        (#"{"messaging_product":"whatsapp","to":"+1234567","type":"text","text":{"body":"x"}}"#, 131009),
        (#"{"messaging_product":"whatsapp","to":"+4915112345678","type":"hologram","hologram":{}}"#, 131051),
    ])
    func commonMistakes(body: String, code: Int) async throws {
        try await withSandboxServer { _, client in
            // Given a sandbox
            // When the faulty body is sent
            let reply = try await client.send(body)

            // Then it is refused with the expected code
            #expect(reply.status == 400)
            #expect(reply.errorCode == code)
        }
    }

    @Test("On-Premise refusals use the `errors` array and the On-Premise codes")
    func onPremiseErrorShape() async throws {
        try await withSandboxServer { _, client in
            // Given a sandbox
            // When an On-Premise body without `to` is sent
            let reply = try await client.send(#"{"type":"text","text":{"body":"x"}}"#, path: "/v1/messages")

            // Then the answer is the On-Premise error shape with 1008
            #expect(reply.status == 400)
            let error = try #require((reply.json["errors"] as? [[String: Any]])?.first)
            #expect(error["code"] as? Int == 1008)
            #expect(error["title"] as? String == "Required parameter is missing")
            #expect((reply.json["meta"] as? [String: Any])?["api_status"] as? String == "stable")
        }
    }

    @Test("contacts messages carry an array, templates need name and language code")
    func typedObjects() async throws {
        try await withSandboxServer { _, client in
            // Given a sandbox
            // When a contacts message and a complete template are sent
            let contacts = try await client.send(Bodies.json([
                "messaging_product": "whatsapp", "to": "+4915112345678", "type": "contacts",
                "contacts": [["name": ["formatted_name": "A"]]],
            ]))
            let template = try await client.send(Bodies.json([
                "messaging_product": "whatsapp", "to": "+4915112345678", "type": "template",
                "template": ["name": "order_update", "language": ["code": "en_US"]],
            ]))

            // Then both are accepted
            #expect(contacts.status == 200)
            #expect(template.status == 200)
        }
    }

    @Test("wamids are unique, also under concurrent sends")
    func wamidUniqueness() async throws {
        try await withSandboxServer { server, client in
            // Given a sandbox
            // When 200 messages are sent, 20 at a time
            var ids: [String] = []
            for batch in 0..<10 {
                let batchIDs = try await withThrowingTaskGroup(of: String?.self) { group in
                    for i in 0..<20 {
                        group.addTask { try await client.sendText(to: "+4915100\(batch)\(1000 + i)").messageID }
                    }
                    var found: [String] = []
                    for try await id in group { if let id { found.append(id) } }
                    return found
                }
                ids += batchIDs
            }

            // Then every answer had an id, all different, and the log has the same ids
            #expect(ids.count == 200)
            #expect(Set(ids).count == ids.count)
            #expect(Set(server.state.received().map(\.wamid)) == Set(ids))
        }
    }
}
