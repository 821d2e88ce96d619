import Foundation
import Testing
import TestSupport
@testable import Sandbox

/// The sandbox plays what issue 14 needs: BSUID recipients and username users, another
/// wa_id for chosen numbers, and 360dialog's 403 without a Meta code.
@Suite("Sandbox identities and gateway refusals")
struct SandboxIdentityTests {
    @Test("a body with `recipient` (a BSUID) instead of `to` is accepted and answered with its user_id")
    func bsuidRecipient() async throws {
        try await withSandboxServer { server, client in
            let body = Bodies.json(["messaging_product": "whatsapp", "recipient_type": "individual", "recipient": "US.13491208655302741918",
                                    "type": "text", "text": ["body": "hi"]])
            let reply = try await client.send(body)
            #expect(reply.status == 200)
            let contact = (reply.json["contacts"] as? [[String: Any]])?.first
            #expect(contact?["user_id"] as? String == "US.13491208655302741918")
            #expect(server.state.received().first?.to == "US.13491208655302741918")
            // Both, or a recipient that is not a BSUID, are refused.
            let both = Bodies.json(["messaging_product": "whatsapp", "recipient": "US.1", "to": "+4915112345678", "type": "text", "text": ["body": "x"]])
            #expect(try await client.send(both).status == 400)
            let bad = Bodies.json(["messaging_product": "whatsapp", "recipient": "nope", "type": "text", "text": ["body": "x"]])
            #expect(try await client.send(bad).status == 400)
        }
    }

    @Test("a chosen number is answered with another wa_id")
    func waIDs() async throws {
        try await withSandboxServer(SandboxConfiguration(faults: SandboxFaults(waIDs: ["5511987654321": "551187654321"]))) { _, client in
            let reply = try await client.sendText(to: "+5511987654321")
            #expect((reply.json["contacts"] as? [[String: Any]])?.first?["wa_id"] as? String == "551187654321")
            let other = try await client.sendText(to: "+4915112345678")
            #expect((other.json["contacts"] as? [[String: Any]])?.first?["wa_id"] as? String == "4915112345678")
        }
    }

    @Test("recipient fault 403 answers 360dialog's gateway refusal, without a Meta code")
    func endpointBlocked() async throws {
        try await withSandboxServer(SandboxConfiguration(faults: SandboxFaults(recipients: [RecipientFault(to: "+4915112345678", code: 403)]))) { _, client in
            let reply = try await client.sendText(to: "+4915112345678")
            #expect(reply.status == 403)
            #expect(reply.errorCode == nil)
            #expect((reply.json["meta"] as? [String: Any])?["developer_message"] as? String == "The endpoint is blocked")
        }
    }

    @Test("a username user's message has from_user_id and contacts[].user_id, and no from or wa_id")
    func usernameInbound() throws {
        let inbound = SimulatedInbound(key: "k", from: "", text: "hi", userID: "US.13491208655302741918")
        let body = WebhookRenderer.body(for: .inbound(inbound, id: "wamid.X"), api: .cloud, account: FakeAccount(key: "k", phoneNumberID: nil), timestamp: 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let value = (((json["entry"] as? [[String: Any]])?.first?["changes"] as? [[String: Any]])?.first?["value"]) as? [String: Any]
        let message = try #require((value?["messages"] as? [[String: Any]])?.first)
        #expect(message["from"] == nil)
        #expect(message["from_user_id"] as? String == "US.13491208655302741918")
        let contact = try #require((value?["contacts"] as? [[String: Any]])?.first)
        #expect(contact["wa_id"] == nil && contact["user_id"] as? String == "US.13491208655302741918")
    }
}
