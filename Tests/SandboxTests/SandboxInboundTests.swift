import Foundation
import Testing
import TestSupport
@testable import Sandbox

/// Simulated user messages delivered to a key's webhook, over HTTP and from Swift.
@Suite("Sandbox inbound messages")
struct SandboxInboundTests {
    static func configuration(_ url: String) -> SandboxConfiguration {
        SandboxConfiguration(
            keys: [
                "cloud-key": SandboxKey(webhookURL: url),
                "onprem-key": SandboxKey(webhookURL: url, api: .onpremise),
                "quiet-key": SandboxKey(),
            ],
            statusDelayMillis: 5, webhookBackoffMillis: 5)
    }

    @Test("POST /sandbox/inbound delivers a Cloud inbound text and answers its id")
    func inboundOverHTTP() async throws {
        try await withWebhookSandbox(Self.configuration) { _, client, receiver in
            // Given a Cloud key with a webhook
            // When a user message is simulated over HTTP
            let reply = try await client.request("/sandbox/inbound", method: .POST, body: Bodies.json([
                "key": "cloud-key", "from": "+49 151 12345678", "text": "hi",
            ]))

            // Then the answer carries a wamid
            #expect(reply.status == 200)
            let id = try #require(reply.json["id"] as? String)
            #expect(id.hasPrefix("wamid."))

            // And the webhook gets Meta's envelope with contacts and the message
            #expect(try await eventually { !receiver.hits.isEmpty })
            let hit = try #require(receiver.hits.first)
            #expect(hit.json["object"] as? String == "whatsapp_business_account")
            let metadata = hit.cloudValue?["metadata"] as? [String: Any]
            #expect(metadata?["phone_number_id"] as? String == FakeAccount(key: "cloud-key", phoneNumberID: nil).phoneNumberID)
            #expect(hit.contactObject?["wa_id"] as? String == "4915112345678")
            #expect((hit.contactObject?["profile"] as? [String: Any])?["name"] as? String == "Sandbox User")
            let message = try #require(hit.messageObject)
            #expect(message["from"] as? String == "4915112345678")
            #expect(message["id"] as? String == id)
            #expect(message["type"] as? String == "text")
            #expect((message["text"] as? [String: Any])?["body"] as? String == "hi")
            #expect(Int64(message["timestamp"] as? String ?? "") != nil)
            #expect(hit.cloudValue?["statuses"] == nil)
        }
    }

    @Test("inbound for an unknown key, a key without webhook or a bad number is refused")
    func inboundRefusals() async throws {
        try await withWebhookSandbox(Self.configuration) { server, client, receiver in
            // When inbound messages are simulated that cannot be delivered
            let unknown = try await client.request("/sandbox/inbound", method: .POST, body: #"{"key":"nope","from":"+4915112345678","text":"x"}"#)
            let quiet = try await client.request("/sandbox/inbound", method: .POST, body: #"{"key":"quiet-key","from":"+4915112345678","text":"x"}"#)
            let badFrom = try await client.request("/sandbox/inbound", method: .POST, body: #"{"key":"cloud-key","from":"12","text":"x"}"#)
            let badType = try await client.request("/sandbox/inbound", method: .POST, body: #"{"key":"cloud-key","from":"+4915112345678","text":"x","type":"video"}"#)
            let noText = try await client.request("/sandbox/inbound", method: .POST, body: #"{"key":"cloud-key","from":"+4915112345678"}"#)

            // Then each gets its status and an error body, and nothing is posted
            #expect(unknown.status == 401)
            #expect(quiet.status == 404)
            #expect(badFrom.status == 400)
            #expect(badType.status == 400)
            #expect(noText.status == 400)
            #expect((quiet.json["error"] as? [String: Any])?["message"] is String)
            #expect(throws: SandboxError.noWebhook(key: "quie…")) {
                try server.state.simulateInbound(key: "quiet-key", from: "+4915112345678", text: "x")
            }
            try await Task.sleep(for: .milliseconds(30))
            #expect(receiver.hits.isEmpty)
        }
    }

    @Test("from Swift: an On-Premise key gets the flat format; the api field and other types override")
    func inboundFromSwift() async throws {
        try await withWebhookSandbox(Self.configuration) { server, _, receiver in
            // Given a key marked On-Premise
            // When a text is simulated for it, and a button reply forced to Cloud
            let flatID = try server.state.simulateInbound(key: "onprem-key", from: "4915112345678", text: "hello")
            let buttonID = try server.state.simulateInbound(SimulatedInbound(
                key: "onprem-key", from: "+4915112345678", text: "YES", type: "button",
                name: "Kerry", contextID: "wamid.earlier", api: .cloud))

            // Then the first arrives flat, with an On-Premise id
            #expect(flatID.hasPrefix("ABGG"))
            #expect(try await eventually { receiver.hits(for: flatID).count == 1 && receiver.hits(for: buttonID).count == 1 })
            let flat = try #require(receiver.hits(for: flatID).first)
            #expect(flat.json["object"] == nil)
            #expect(flat.contactObject?["wa_id"] as? String == "4915112345678")
            #expect((flat.messageObject?["text"] as? [String: Any])?["body"] as? String == "hello")

            // And the second in the Cloud envelope, as a quick-reply button with its context
            #expect(buttonID.hasPrefix("wamid."))
            let button = try #require(receiver.hits(for: buttonID).first)
            #expect(button.json["object"] as? String == "whatsapp_business_account")
            #expect((button.contactObject?["profile"] as? [String: Any])?["name"] as? String == "Kerry")
            let message = try #require(button.messageObject)
            #expect(message["type"] as? String == "button")
            #expect((message["button"] as? [String: Any])?["payload"] as? String == "YES")
            #expect((message["context"] as? [String: Any])?["id"] as? String == "wamid.earlier")

            // And the log names them as messages
            #expect(try await eventually { server.state.webhookDeliveries().count == 2 })
            #expect(server.state.webhookDeliveries().map(\.status) == ["message", "message"])
        }
    }
}
