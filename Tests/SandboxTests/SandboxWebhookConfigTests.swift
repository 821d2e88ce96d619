import Foundation
import Testing
import TestSupport
@testable import Sandbox

/// `POST` / `GET /v1/configs/webhook`, as 360dialog's API, over real HTTP.
@Suite("Sandbox webhook config")
struct SandboxWebhookConfigTests {
    @Test("a webhook set over HTTP is read back with its headers and used for the key's statuses")
    func setAndGet() async throws {
        let configuration = SandboxConfiguration(keys: ["key-a": SandboxKey()], statusDelayMillis: 5)
        try await withWebhookReceiver { receiver, url in
            try await withSandboxServer(configuration) { server, client in
                // Given a key without a webhook
                let none = try await client.request("/v1/configs/webhook", key: "key-a")
                #expect(none.status == 404)
                #expect((none.json["meta"] as? [String: Any])?["success"] as? Bool == false)

                // When a loopback webhook with a header is set for it
                let body = Bodies.json(["url": url, "headers": ["X-Webhook-Secret": "s3cret"]])
                let set = try await client.request("/v1/configs/webhook", method: .POST, body: body, key: "key-a")

                // Then the answer echoes the URL and GET returns URL and headers
                #expect(set.status == 200)
                #expect(set.json["url"] as? String == url)
                let got = try await client.request("/v1/configs/webhook", key: "key-a")
                #expect(got.status == 200)
                #expect(got.json["url"] as? String == url)
                #expect(got.json["headers"] as? [String: String] == ["X-Webhook-Secret": "s3cret"])
                #expect(server.state.webhook(forKey: "key-a") == SandboxWebhook(url: url, headers: ["X-Webhook-Secret": "s3cret"]))

                // And the key's next message is reported there, with the header
                _ = try await client.sendText(to: "+4915112345678", key: "key-a")
                #expect(try await eventually { receiver.hits.count >= 3 })
                #expect(receiver.hits.allSatisfy { $0.headers["x-webhook-secret"] == "s3cret" })
            }
        }
    }

    @Test("a wrong or missing key is refused with 401 on both methods")
    func wrongKey() async throws {
        try await withSandboxServer(SandboxConfiguration(keys: ["key-a": SandboxKey()])) { server, client in
            // Given a sandbox that knows one key
            // When the config is set and read with another key and with none
            let body = #"{"url":"https://hooks.example.com/wa"}"#
            let replies = [
                try await client.request("/v1/configs/webhook", method: .POST, body: body, key: "key-b"),
                try await client.request("/v1/configs/webhook", method: .POST, body: body, key: nil),
                try await client.request("/v1/configs/webhook", key: "key-b"),
            ]

            // Then all are 401 with 360dialog's "Invalid api_key", and nothing was stored
            for reply in replies {
                #expect(reply.status == 401)
                #expect((reply.json["meta"] as? [String: Any])?["developer_message"] as? String == "Invalid api_key")
            }
            #expect(server.state.webhook(forKey: "key-b") == nil)
        }
    }

    @Test("360dialog's URL rules apply except on loopback", arguments: [
        ("https://hooks.example.com/wa", 200),
        ("http://127.0.0.1:8080/wa", 200),
        ("http://localhost:3000/", 200),
        ("https://hooks.example.com:8443/wa", 400),
        ("https://my_hooks.example.com/wa", 400),
        ("http://hooks.example.com/wa", 400),
        ("hooks.example.com/wa", 400),
        ("ftp://hooks.example.com/wa", 400),
    ])
    func urlRules(url: String, status: Int) async throws {
        try await withSandboxServer { _, client in
            // When the URL is set
            let reply = try await client.request("/v1/configs/webhook", method: .POST, body: Bodies.json(["url": url]), key: "k")
            // Then it is accepted or refused as the real API would
            #expect(reply.status == status)
        }
    }

    @Test("a body that is not a webhook config is refused with 400")
    func badBody() async throws {
        try await withSandboxServer { server, client in
            let reply = try await client.request("/v1/configs/webhook", method: .POST, body: #"{"uri":"x"}"#, key: "k")
            #expect(reply.status == 400)
            #expect(server.state.webhook(forKey: "k") == nil)
        }
    }
}
