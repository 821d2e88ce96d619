import Foundation
import Testing
import TestSupport
@testable import Sandbox

/// The key most of these tests send with.
private let rulesKey = "rules-key-1"

/// The pair, window and throughput rules over real HTTP, on a manual clock: the answers'
/// shapes, the control endpoint and the statistics.
@Suite("Sandbox rules")
struct SandboxRulesTests {
    func error(_ reply: SandboxClient.Reply) -> [String: Any]? {
        reply.json["error"] as? [String: Any]
    }

    func firstError(_ reply: SandboxClient.Reply) -> [String: Any]? {
        (reply.json["errors"] as? [[String: Any]])?.first
    }

    @Test("pair limit, Cloud: 400 with Meta's 131056 body; the recipient goes again 6 s later, others at once")
    func pairCloud() async throws {
        let clock = ManualClock()
        let configuration = SandboxConfiguration(keys: [rulesKey: SandboxKey()], rules: SandboxRules(pairLimit: true))
        try await withSandboxServer(configuration, clock: clock) { server, client in
            // Given the pair limit on
            // When one recipient gets two messages in the same instant and another recipient one
            let first = try await client.sendText(to: "+4915112345678", key: rulesKey)
            let second = try await client.sendText(to: "+4915112345678", key: rulesKey)
            let other = try await client.sendText(to: "+4915187654321", key: rulesKey)

            // Then the second is refused in the Cloud shape, the others pass
            #expect(first.status == 200)
            #expect(other.status == 200)
            #expect(second.status == 400)
            #expect(second.errorCode == 131056)
            #expect(error(second)?["message"] as? String == "(#131056) (Business Account, Consumer Account) pair rate limit hit")
            #expect(error(second)?["type"] as? String == "OAuthException")
            let data = error(second)?["error_data"] as? [String: Any]
            #expect(data?["messaging_product"] as? String == "whatsapp")
            #expect(data?["details"] as? String
                == "Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.")
            #expect(second.headers.first(name: "Retry-After") == nil)

            // When the clock moves 5.999 s, then 1 ms more
            clock.advance(byMillis: 5_999)
            let early = try await client.sendText(to: "+4915112345678", key: rulesKey)
            clock.advance(byMillis: 1)
            let onTime = try await client.sendText(to: "+4915112345678", key: rulesKey)

            // Then the recipient is refused, then served
            #expect(early.errorCode == 131056)
            #expect(onTime.status == 200)
            let stats = try #require(server.state.stats(key: rulesKey))
            #expect(stats.pairViolations == 2)
            #expect(stats.accepted == 3)
            #expect(stats.minPairGapMillis == 6_000)
        }
    }

    @Test("pair limit, On-Premise: 400 with 131056 in the errors array")
    func pairOnPremise() async throws {
        let clock = ManualClock()
        try await withSandboxServer(SandboxConfiguration(rules: SandboxRules(pairLimit: true)), clock: clock) { _, client in
            let first = try await client.send(Bodies.onPremiseText(to: "4915112345678"), path: "/v1/messages")
            let second = try await client.send(Bodies.onPremiseText(to: "4915112345678"), path: "/v1/messages")

            #expect(first.status == 200)
            #expect(second.status == 400)
            #expect(firstError(second)?["code"] as? Int == 131056)
            #expect(firstError(second)?["title"] as? String == "(Business Account, Consumer Account) pair rate limit hit")
            #expect((second.json["meta"] as? [String: Any])?["api_status"] as? String == "stable")
        }
    }

    @Test("pair limit off (the default): back-to-back messages to one recipient pass, and the gap shows in the stats")
    func pairOff() async throws {
        let clock = ManualClock()
        try await withSandboxServer(SandboxConfiguration(keys: [rulesKey: SandboxKey()]), clock: clock) { server, client in
            let first = try await client.sendText(to: "+4915112345678", key: rulesKey)
            clock.advance(byMillis: 250)
            let second = try await client.sendText(to: "+4915112345678", key: rulesKey)
            #expect(first.status == 200)
            #expect(second.status == 200)
            #expect(server.state.stats(key: rulesKey)?.minPairGapMillis == 250)
            #expect(server.state.stats().pairViolations == 0)
        }
    }

    @Test("window rule: text to a user who has not written is refused (131047 Cloud, 470 On-Premise); templates pass; an inbound message opens the window for 24 h")
    func window() async throws {
        let clock = ManualClock()
        try await withWebhookSandbox(clock: clock, { url in
            SandboxConfiguration(keys: [rulesKey: SandboxKey(webhookURL: url)], rules: SandboxRules(windowRule: true), statusDelayMillis: 0)
        }) { server, client, receiver in
            // Given the window rule on and a user who has not written
            // When text goes out in both APIs, and templates
            let cloud = try await client.sendText(to: "+4915112345678", key: rulesKey)
            let onPremise = try await client.send(Bodies.onPremiseText(to: "4915112345678"), key: rulesKey, path: "/v1/messages")
            let template = try await client.send(Bodies.cloudTemplate(to: "+4915112345678"), key: rulesKey)
            let onPremiseTemplate = try await client.send(Bodies.onPremiseTemplate(to: "4915112345678"), key: rulesKey, path: "/v1/messages")

            // Then the texts are refused in each API's shape, the templates pass
            #expect(cloud.status == 400)
            #expect(cloud.errorCode == 131047)
            #expect(error(cloud)?["message"] as? String == "(#131047) Re-engagement message")
            #expect((error(cloud)?["error_data"] as? [String: Any])?["details"] as? String
                == "Message failed to send because more than 24 hours have passed since the customer last replied to this number.")
            #expect(onPremise.status == 400)
            #expect(onPremise.errorCode == 470)
            #expect(firstError(onPremise)?["title"] as? String == "Re-engagement message")
            #expect(template.status == 200)
            #expect(onPremiseTemplate.status == 200)

            // When the user writes through the control endpoint
            let inbound = try await client.request("/sandbox/inbound", method: .POST, body: Bodies.json(
                ["key": rulesKey, "from": "+4915112345678", "text": "hi"]))
            #expect(inbound.status == 200)
            // (its webhook is stamped with the sandbox clock's time, which has not moved)
            #expect(try await eventually { receiver.hits.contains { $0.messageObject != nil } })
            let hit = try #require(receiver.hits.first { $0.messageObject != nil })
            #expect(hit.messageObject?["timestamp"] as? String == "1795219200")

            // Then text passes until just before 24 h later, then is refused again
            #expect(try await client.sendText(to: "+4915112345678", key: rulesKey).status == 200)
            clock.advance(byMillis: 86_400_000 - 1)
            #expect(try await client.send(Bodies.onPremiseText(to: "4915112345678"), key: rulesKey, path: "/v1/messages").status == 200)
            clock.advance(byMillis: 1)
            #expect(try await client.sendText(to: "+4915112345678", key: rulesKey).errorCode == 131047)

            // And the stats count three window refusals
            let stats = try await client.request("/sandbox/stats")
            #expect(stats.json["window_violations"] as? Int == 3)
            #expect(server.state.stats(key: rulesKey)?.windowViolations == 3)
        }
    }

    @Test("rules: GET shows them all off by default, PUT replaces and echoes them, a bad value is refused naming the field")
    func control() async throws {
        let clock = ManualClock()
        try await withSandboxServer(SandboxConfiguration(), clock: clock) { server, client in
            // Given a sandbox started without rules
            let before = try await client.request("/sandbox/rules")
            #expect(before.status == 200)
            #expect(before.json["pair_limit"] as? Bool == false)
            #expect(before.json["window_rule"] as? Bool == false)
            #expect(before.json["pair_interval_millis"] as? Int == 6_000)
            #expect(before.json["pair_burst"] as? Int == 1)
            #expect(before.json["window_seconds"] as? Int == 86_400)
            #expect(before.json["messages_per_second"] as? Int == 0)
            #expect(try await client.sendText(to: "+4915112345678").status == 200)

            // When the pair limit is turned on with a 2 s interval
            let put = try await client.request("/sandbox/rules", method: .PUT, body: #"{"pair_limit":true,"pair_interval_millis":2000}"#)

            // Then it is echoed and applies at once, counting the message already sent
            #expect(put.status == 200)
            #expect(put.json["pair_limit"] as? Bool == true)
            #expect(server.state.rules() == SandboxRules(pairLimit: true, pairIntervalMillis: 2_000))
            #expect(try await client.sendText(to: "+4915112345678").errorCode == 131056)
            clock.advance(byMillis: 2_000)
            #expect(try await client.sendText(to: "+4915112345678").status == 200)

            // When unusable rules are put
            let bad = try await client.request("/sandbox/rules", method: .PUT, body: #"{"pair_limit":true,"pair_burst":0}"#)
            let malformed = try await client.request("/sandbox/rules", method: .PUT, body: #"{"window_rule":"yes"}"#)

            // Then they are refused and the rules stay
            #expect(bad.status == 400)
            #expect(((bad.json["error"] as? [String: Any])?["message"] as? String)?.contains("pair_burst") == true)
            #expect(malformed.status == 400)
            #expect(server.state.rules() == SandboxRules(pairLimit: true, pairIntervalMillis: 2_000))

            // When the rules are put empty, everything is off again
            #expect(try await client.request("/sandbox/rules", method: .PUT, body: "{}").status == 200)
            #expect(server.state.rules() == SandboxRules())
        }
    }

    @Test("throughput from the rules: more than messages_per_second in one second answers 130429 (Cloud) and 429 (On-Premise)")
    func throughput() async throws {
        let clock = ManualClock()
        try await withSandboxServer(SandboxConfiguration(rules: SandboxRules(messagesPerSecond: 2)), clock: clock) { server, client in
            let replies = [
                try await client.sendText(to: "+4915100000001"),
                try await client.sendText(to: "+4915100000002"),
                try await client.sendText(to: "+4915100000003"),
                try await client.send(Bodies.onPremiseText(to: "4915100000004"), path: "/v1/messages"),
            ]
            #expect(replies.map(\.status) == [200, 200, 400, 400])
            #expect(replies.map(\.errorCode) == [nil, nil, 130429, 429])
            clock.advance(byMillis: 1_000)
            #expect(try await client.sendText(to: "+4915100000005").status == 200)
            let stats = try #require(server.state.stats(key: "test-key-1"))
            #expect(stats.throughputViolations == 2)
            #expect(stats.maxAcceptedPerSecond == 2)
            #expect(stats.maxRequestsPerSecond == 4)
        }
    }

    @Test("GET /sandbox/stats reports per key, by fingerprint, every figure; min_pair_gap_ms is null until a recipient got two")
    func statsJSON() async throws {
        let clock = ManualClock()
        let configuration = SandboxConfiguration(
            keys: ["alpha-secret-key": SandboxKey(phoneNumberID: "100000000000001"), "bravo-secret-key": SandboxKey(messagesPerSecond: 5)],
            rules: SandboxRules(pairLimit: true, pairIntervalMillis: 1_000))
        try await withSandboxServer(configuration, clock: clock) { _, client in
            // Given alpha sends to one recipient at 0, 0 (refused) and 1.5 s, bravo once
            _ = try await client.sendText(to: "+4915112345678", key: "alpha-secret-key")
            _ = try await client.sendText(to: "+4915112345678", key: "alpha-secret-key")
            clock.advance(byMillis: 1_500)
            _ = try await client.sendText(to: "+4915112345678", key: "alpha-secret-key")
            _ = try await client.sendText(to: "+4915112345678", key: "bravo-secret-key")

            // When the stats are read
            let stats = try await client.request("/sandbox/stats")

            // Then totals and per-key figures are there, and no key in full
            #expect(stats.json["requests"] as? Int == 4)
            #expect(stats.json["accepted"] as? Int == 3)
            #expect(stats.json["refused"] as? Int == 1)
            #expect(stats.json["pair_violations"] as? Int == 1)
            #expect(stats.json["window_violations"] as? Int == 0)
            #expect(stats.json["throughput_violations"] as? Int == 0)
            let keys = try #require(stats.json["keys"] as? [[String: Any]])
            #expect(keys.count == 2)
            let alpha = try #require(keys.first)
            #expect(alpha["key"] as? String == "alph…")
            #expect(alpha["phone_number_id"] as? String == "100000000000001")
            #expect(alpha["requests"] as? Int == 3)
            #expect(alpha["accepted"] as? Int == 2)
            #expect(alpha["pair_violations"] as? Int == 1)
            #expect(alpha["window_violations"] as? Int == 0)
            #expect(alpha["throughput_violations"] as? Int == 0)
            #expect(alpha["messages_per_second"] as? Int == 0)
            #expect(alpha["min_pair_gap_ms"] as? Int == 1_500)
            #expect(alpha["max_accepted_per_second"] as? Int == 1)
            #expect(alpha["max_requests_per_second"] as? Int == 2)
            let bravo = try #require(keys.last)
            #expect(bravo["key"] as? String == "brav…")
            #expect(bravo["messages_per_second"] as? Int == 5)
            #expect(bravo["min_pair_gap_ms"] is NSNull)
            #expect(!stats.json.description.contains("secret"))

            // When the sandbox is reset, the per-key figures go
            let reset = try await client.request("/sandbox/reset", method: .POST)
            #expect((reset.json["keys"] as? [Any])?.isEmpty == true)
        }
    }
}
