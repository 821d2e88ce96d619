import Foundation
import Testing
import TestSupport
@testable import Sandbox

/// Status webhooks after accepted messages, delivered over real HTTP to a receiver on
/// loopback: formats, order, failures, duplicates, reordering, retries, shutdown.
@Suite("Sandbox status webhooks")
struct SandboxWebhookDeliveryTests {
    /// A configuration with one key whose webhook goes to `url`, and small delays.
    static func configuration(
        _ url: String, key: SandboxKey = SandboxKey(), faults: SandboxFaults = .init(),
        attempts: Int = 5, statusDelayMillis: Int = 5
    ) -> SandboxConfiguration {
        var key = key
        key.webhookURL = url
        return SandboxConfiguration(
            keys: ["test-key-1": key], faults: faults, statusDelayMillis: statusDelayMillis,
            webhookAttempts: attempts, webhookBackoffMillis: 5, webhookTimeoutMillis: 2000)
    }

    @Test("a Cloud message gets sent, delivered, read in order, with callback data, pricing on sent and the configured headers")
    func cloudStatusesInOrder() async throws {
        let key = SandboxKey(phoneNumberID: "106540352242922", webhookHeaders: ["Authorization": "Basic c2J4OnNlY3JldA=="])
        try await withWebhookSandbox({ Self.configuration($0, key: key) }) { server, client, receiver in
            // Given a key with a webhook, a phone number id and an Authorization header
            // When a Cloud text with callback data is sent
            let reply = try await client.send(Bodies.json([
                "messaging_product": "whatsapp", "to": "+49 151 1234-5678", "type": "text",
                "text": ["body": "hi"], "biz_opaque_callback_data": "outbox-7",
            ]))
            let wamid = try #require(reply.messageID)

            // Then three webhooks arrive: sent, delivered, read (the sandbox logs each once answered)
            #expect(try await eventually { receiver.hits.count >= 3 && server.state.webhookDeliveries().count >= 3 })
            let hits = receiver.hits
            #expect(hits.map(\.status) == ["sent", "delivered", "read"])

            // And each is a Cloud envelope about the message, echoing the callback data
            for hit in hits {
                #expect(hit.json["object"] as? String == "whatsapp_business_account")
                let entry = (hit.json["entry"] as? [[String: Any]])?.first
                #expect((entry?["id"] as? String)?.count == 15)
                #expect(((entry?["changes"] as? [[String: Any]])?.first)?["field"] as? String == "messages")
                #expect(hit.cloudValue?["messaging_product"] as? String == "whatsapp")
                let metadata = hit.cloudValue?["metadata"] as? [String: Any]
                #expect(metadata?["phone_number_id"] as? String == "106540352242922")
                #expect(metadata?["display_phone_number"] is String)
                let status = try #require(hit.statusObject)
                #expect(status["id"] as? String == wamid)
                #expect(status["recipient_id"] as? String == "4915112345678")
                #expect(status["biz_opaque_callback_data"] as? String == "outbox-7")
                #expect(Int64(status["timestamp"] as? String ?? "") != nil)
                #expect(hit.headers["authorization"] == "Basic c2J4OnNlY3JldA==")
                #expect(hit.headers["content-type"] == "application/json")
                #expect(hit.path == "/webhook")
            }

            // And only sent carries pricing (a free service answer for a text)
            let pricing = hits.map { $0.statusObject?["pricing"] as? [String: Any] }
            #expect(pricing[0]?["category"] as? String == "service")
            #expect(pricing[0]?["pricing_model"] as? String == "PMP")
            #expect(pricing[1] == nil && pricing[2] == nil)

            // And the sandbox logged one successful attempt per status, also over HTTP
            let deliveries = server.state.webhookDeliveries()
            #expect(deliveries.map(\.status) == ["sent", "delivered", "read"])
            #expect(deliveries.allSatisfy { $0.attempt == 1 && $0.httpStatus == 200 && !$0.duplicate && $0.messageID == wamid })
            #expect(deliveries.map(\.body) == hits.map(\.body))
            let listed = try await client.request("/sandbox/webhooks?message_id=\(wamid)")
            let entries = try #require(listed.json["deliveries"] as? [[String: Any]])
            #expect(entries.count == 3)
            #expect(entries.first?["http_status"] as? Int == 200)
            #expect(entries.first?["message_id"] as? String == wamid)
            #expect(entries.first?["at_millis"] is Int)
            #expect(entries.first?["url"] as? String == deliveries.first?.url)
            #expect((try await client.request("/sandbox/webhooks?message_id=nope").json["deliveries"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("an On-Premise message gets flat statuses; an async fault there fails with code and title")
    func onPremiseStatuses() async throws {
        let faults = SandboxFaults(recipients: [RecipientFault(to: "4915100000009", code: 470, async: true)])
        try await withWebhookSandbox({ Self.configuration($0, faults: faults) }) { _, client, receiver in
            // Given a key with a webhook, and an async fault for one recipient
            // When an On-Premise text is sent to a normal recipient and to the faulty one
            let ok = try #require(try await client.send(Bodies.onPremiseText(to: "4915112345678"), path: "/v1/messages").messageID)
            let failing = try await client.send(Bodies.onPremiseText(to: "4915100000009"), path: "/v1/messages")
            let failingID = try #require(failing.messageID)

            // Then the normal one gets sent, delivered, read in the flat On-Premise shape
            #expect(try await eventually { receiver.hits(for: ok).count >= 3 })
            let hits = receiver.hits(for: ok)
            #expect(hits.map(\.status) == ["sent", "delivered", "read"])
            for hit in hits {
                #expect(hit.json["object"] == nil)
                #expect(hit.json["entry"] == nil)
                let status = try #require(hit.statusObject)
                #expect(Set(status.keys).isSuperset(of: ["id", "recipient_id", "status", "timestamp"]))
                #expect(status["recipient_id"] as? String == "4915112345678")
                #expect(status["biz_opaque_callback_data"] == nil)
            }
            #expect((hits[0].statusObject?["pricing"] as? [String: Any])?["pricing_model"] as? String == "CBP")

            // And the faulty one was answered 200 and then failed with the On-Premise error
            #expect(failing.status == 200)
            #expect(try await eventually { !receiver.hits(for: failingID).isEmpty })
            let failed = try #require(receiver.hits(for: failingID).first?.statusObject)
            #expect(failed["status"] as? String == "failed")
            let error = try #require((failed["errors"] as? [[String: Any]])?.first)
            #expect(error["code"] as? Int == 470)
            #expect(error["title"] as? String == "Re-engagement message")
            #expect(error["message"] == nil)
            #expect(receiver.hits(for: failingID).count == 1)
        }
    }

    @Test("an async recipient fault answers 200, then sends only a failed status with the Cloud error")
    func asyncFailure() async throws {
        let faults = SandboxFaults(recipients: [RecipientFault(to: "+4915100000009", code: 131026, times: 1, async: true)])
        try await withWebhookSandbox({ Self.configuration($0, faults: faults) }) { server, client, receiver in
            // Given an async fault for one recipient, once
            // When that recipient and another one are sent to
            let failing = try await client.sendText(to: "+4915100000009")
            let failingID = try #require(failing.messageID)
            let ok = try #require(try await client.sendText(to: "+4915112345678").messageID)

            // Then the faulty send was accepted like any other
            #expect(failing.status == 200)
            #expect(server.state.received().map(\.wamid).contains(failingID))

            // And once the other message is read, the faulty one has had exactly one webhook: failed
            #expect(try await eventually { receiver.hits(for: ok).count >= 3 && !receiver.hits(for: failingID).isEmpty })
            try await Task.sleep(for: .milliseconds(30))
            let hits = receiver.hits(for: failingID)
            #expect(hits.map(\.status) == ["failed"])
            let status = try #require(hits.first?.statusObject)
            #expect(status["recipient_id"] as? String == "4915100000009")
            #expect(status["pricing"] == nil)
            let error = try #require((status["errors"] as? [[String: Any]])?.first)
            #expect(error["code"] as? Int == 131026)
            #expect(error["title"] as? String == "Message undeliverable")
            #expect(error["message"] as? String == "Message undeliverable")
            #expect((error["error_data"] as? [String: Any])?["details"] is String)

            // And the fault was used up: the next send to that recipient gets the normal statuses
            let again = try #require(try await client.sendText(to: "+4915100000009").messageID)
            #expect(try await eventually { receiver.hits(for: again).count >= 3 })
            #expect(receiver.hits(for: again).map(\.status) == ["sent", "delivered", "read"])
        }
    }

    @Test("a duplicate rate of 1 posts every status twice, the copy marked in the log")
    func duplicates() async throws {
        try await withWebhookSandbox({ Self.configuration($0, faults: SandboxFaults(webhookDuplicateRate: 1)) }) { server, client, receiver in
            // Given every webhook is duplicated
            // When one message is sent
            let wamid = try #require(try await client.sendText(to: "+4915112345678").messageID)

            // Then each status arrives twice, with the same body
            // (`#require`: on a timeout the pairs below would index past the end and trap the whole suite.)
            try #require(try await eventually { receiver.hits.count >= 6 && server.state.webhookDeliveries().count >= 6 })
            let hits = receiver.hits(for: wamid)
            try #require(hits.map(\.status) == ["sent", "sent", "delivered", "delivered", "read", "read"])
            for pair in stride(from: 0, to: 6, by: 2) {
                #expect(hits[pair].body == hits[pair + 1].body)
            }
            #expect(server.state.webhookDeliveries().map(\.duplicate) == [false, true, false, true, false, true])
        }
    }

    @Test("the reorder fault sends read before delivered")
    func reorder() async throws {
        try await withWebhookSandbox({ Self.configuration($0, faults: SandboxFaults(webhookReorder: true)) }) { _, client, receiver in
            // Given webhooks are reordered
            // When one message is sent
            let wamid = try #require(try await client.sendText(to: "+4915112345678").messageID)

            // Then read comes before delivered
            #expect(try await eventually { receiver.hits(for: wamid).count >= 3 })
            #expect(receiver.hits(for: wamid).map(\.status) == ["sent", "read", "delivered"])
        }
    }

    @Test("a receiver answering 500 twice gets the same body again until it answers 200")
    func retryAfterServerError() async throws {
        try await withWebhookSandbox(failFirst: 2, { Self.configuration($0) }) { server, client, receiver in
            // Given a receiver that fails its first two requests
            // When one message is sent
            let wamid = try #require(try await client.sendText(to: "+4915112345678").messageID)

            // Then sent is tried three times, then delivered and read go through
            #expect(try await eventually { receiver.hits.count >= 5 && server.state.webhookDeliveries().count >= 5 })
            #expect(receiver.hits(for: wamid).map(\.status) == ["sent", "sent", "sent", "delivered", "read"])
            #expect(Set(receiver.hits.prefix(3).map(\.body)).count == 1)
            let deliveries = server.state.webhookDeliveries()
            #expect(deliveries.map(\.attempt) == [1, 2, 3, 1, 1])
            #expect(deliveries.map(\.httpStatus) == [500, 500, 200, 200, 200])
            #expect(deliveries.map(\.delivered) == [false, false, true, true, true])
            // And the pauses grew: 5 ms, then 10 ms
            #expect(deliveries[2].atMillis - deliveries[0].atMillis >= 15)
        }
    }

    @Test("an unreachable receiver is tried webhookAttempts times per status, then given up")
    func giveUpOnConnectionErrors() async throws {
        // Given a webhook on a closed loopback port and 2 tries per event
        let configuration = Self.configuration("http://127.0.0.1:1/webhook", attempts: 2)
        try await withSandboxServer(configuration) { server, client in
            // When one message is sent
            let reply = try await client.sendText(to: "+4915112345678")
            #expect(reply.status == 200)

            // Then every status is tried twice, each without an answer, then dropped
            #expect(try await eventually { server.state.webhookDeliveries().count >= 6 })
            let deliveries = server.state.webhookDeliveries()
            #expect(deliveries.map(\.status) == ["sent", "sent", "delivered", "delivered", "read", "read"])
            #expect(deliveries.map(\.attempt) == [1, 2, 1, 2, 1, 2])
            #expect(deliveries.allSatisfy { $0.httpStatus == nil && $0.error != nil })
            try await Task.sleep(for: .milliseconds(50))
            #expect(server.state.webhookDeliveries().count == 6)
        }
    }

    @Test("a retry posts to the key's webhook as it is then: statuses queued for a stopped receiver reach the new one")
    func retryFollowsWebhookChange() async throws {
        try await withWebhookReceiver { receiver, url in
            // Given a webhook on a closed loopback port, retried often enough to outlast the change
            var configuration = Self.configuration("http://127.0.0.1:1/webhook", attempts: 40)
            configuration.webhookBackoffMillis = 20
            try await withSandboxServer(configuration) { server, client in
                // When a message is sent, its first status fails, and the key's webhook then moves
                let reply = try await client.sendText(to: "+4915112345678")
                #expect(reply.status == 200)
                #expect(try await eventually { server.state.webhookDeliveries().contains { $0.httpStatus == nil } })
                server.state.setWebhook(SandboxWebhook(url: url), forKey: "test-key-1")

                // Then every status reaches the new receiver, none given up
                #expect(try await eventually { receiver.hits.count >= 3 })
                #expect(receiver.hits.map(\.status) == ["sent", "delivered", "read"])
                #expect(server.state.webhookDeliveries().filter { $0.httpStatus == 200 }.allSatisfy { $0.url == url })
            }
        }
    }

    @Test("pending webhooks stop with the server: shutdown does not wait for them")
    func stopsWithServer() async throws {
        try await withWebhookReceiver { receiver, url in
            // Given statuses that would only be sent after a minute
            let clock = ContinuousClock()
            let start = clock.now
            try await withSandboxServer(Self.configuration(url, statusDelayMillis: 60_000)) { _, client in
                // When a message is sent and the sandbox stops right away
                let reply = try await client.sendText(to: "+4915112345678")
                #expect(reply.status == 200)
            }

            // Then the sandbox stopped long before the statuses were due (loose: the machine may be busy), and nothing was posted
            #expect(clock.now - start < .seconds(30))
            try await Task.sleep(for: .milliseconds(20))
            #expect(receiver.hits.isEmpty)
        }
    }

    @Test("a key without a webhook sends none, also when another key has one")
    func noWebhookNoPosts() async throws {
        let configure = { (url: String) in
            var configuration = Self.configuration(url)
            configuration.keys["quiet-key"] = SandboxKey()
            return configuration
        }
        try await withWebhookSandbox(configure) { server, client, receiver in
            // Given two keys, only test-key-1 with a webhook
            // When a message is sent with each
            let quiet = try #require(try await client.sendText(to: "+4915112345678", key: "quiet-key").messageID)
            let loud = try #require(try await client.sendText(to: "+4915112345678").messageID)

            // Then only test-key-1's message is reported
            #expect(try await eventually { receiver.hits.count >= 3 && server.state.webhookDeliveries().count >= 3 })
            try await Task.sleep(for: .milliseconds(30))
            #expect(receiver.hits(for: quiet).isEmpty)
            #expect(Set(server.state.webhookDeliveries().map(\.messageID)) == [loud])
        }
    }
}
