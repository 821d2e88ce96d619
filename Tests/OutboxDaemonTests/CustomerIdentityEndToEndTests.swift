import Foundation
import OutboxAPI
import OutboxCore
import OutboxDaemon
import Sandbox
import Testing
import TestSupport

/// Who the customer is, as the API says it (usernames known by BSUID, a wa_id other than the
/// number sent to), and what Meta charges (pricing in statuses): real socket, receiver, HTTP.
@Suite("Customer identity and pricing end to end")
struct CustomerIdentityEndToEndTests {
    let dir = TempDir()

    func config(_ url: String) -> DaemonConfig {
        var c = testConfig(dir: dir, baseURL: url)
        c.webhook.listen = "127.0.0.1:0"
        c.channels[0].enforceWindow = true
        c.channels[0].rules.pairIntervalMillis = 0
        return c
    }

    func connect(_ sandbox: SandboxServer, _ d: DaemonHarness) async throws {
        _ = try await eventually { d.daemon.webhookListeningPort != nil }
        sandbox.state.setWebhook(SandboxWebhook(url: "http://127.0.0.1:\(d.daemon.webhookListeningPort!)/webhooks/main"), forKey: "key-main")
    }

    @Test("a username user writes with only a BSUID: the window opens, and a submission to `recipient` reaches them")
    func usernameUser() async throws {
        try await withSandbox { sandbox, url in
            var c = config(url)
            c.channels[0].enforceWindow = true
            try await withDaemon(c, dir: dir) { d in
                try await connect(sandbox, d)
                let bsuid = "US.13491208655302741918"
                let text = #"{"channel":"main","recipient":"\#(bsuid)","message":{"type":"text","text":{"body":"Hi"}}}"#
                #expect(try await d.post("/v1/messages", json: text).status == 422, "no window yet")
                try sandbox.state.simulateInbound(SimulatedInbound(key: "key-main", from: "", text: "hello from a username", userID: bsuid))
                #expect(try await eventually { try await d.daemon.store.lastInbound(channel: "main", recipient: bsuid) != nil })
                let (status, body) = try await d.post("/v1/messages", json: text)
                #expect(status == 202)
                let id = try JSONDecoder().decode(SubmitResponse.self, from: Data(body)).id
                let m = try await d.waitFor(id, in: [.sent, .delivered, .read])
                #expect(m.to == bsuid)
                #expect(sandbox.state.received().last?.to == bsuid)
                // Its statuses name the user by recipient_user_id and are applied.
                try await d.waitFor(id, in: [.read])
            }
        }
    }

    @Test("`to` and `recipient` together, or a recipient that is no BSUID, are refused naming the field")
    func refusals() async throws {
        try await withSandbox { _, url in
            try await withDaemon(config(url), dir: dir) { d in
                let both = try await d.post("/v1/messages", json: #"{"channel":"main","to":"+4915100000001","recipient":"US.1","message":{"type":"template","template":{"name":"t","language":{"code":"en"}}}}"#)
                #expect(both.status == 400 && String(decoding: both.body, as: UTF8.self).contains("\"recipient\""))
                let bad = try await d.post("/v1/messages", json: #"{"channel":"main","recipient":"not-a-bsuid","message":{"type":"template","template":{"name":"t","language":{"code":"en"}}}}"#)
                #expect(bad.status == 400 && String(decoding: bad.body, as: UTF8.self).contains("\"recipient\""))
            }
        }
    }

    @Test("a Brazilian number answered with another wa_id (and held for quality): the reply from that wa_id opens the window of the number sent to")
    func waIDAlias() async throws {
        let faults = SandboxFaults(waIDs: ["5511987654321": "551187654321"], heldForQuality: ["5511987654321"])
        try await withSandbox(faults: faults) { sandbox, url in
            try await withDaemon(config(url), dir: dir) { d in
                try await connect(sandbox, d)
                let template = #"{"channel":"main","to":"+5511987654321","message":{"type":"template","template":{"name":"hello","language":{"code":"pt_BR"}}}}"#
                let (_, body) = try await d.post("/v1/messages", json: template)
                let id = try JSONDecoder().decode(SubmitResponse.self, from: Data(body)).id
                let m = try await d.waitFor(id, in: [.sent, .delivered, .read])
                #expect(m.attempts?.first?.waID == "551187654321")
                #expect(m.attempts?.first?.messageStatus == "held_for_quality_assessment", "held, not plainly sent")
                try sandbox.state.simulateInbound(key: "key-main", from: "+551187654321", text: "oi")
                #expect(try await eventually { try await d.daemon.store.lastInbound(channel: "main", recipient: "+5511987654321") != nil })
                let text = #"{"channel":"main","to":"+5511987654321","message":{"type":"text","text":{"body":"obrigado"}}}"#
                #expect(try await d.post("/v1/messages", json: text).status == 202, "the window matches the customer's reply")
            }
        }
    }

    @Test("pricing from statuses is in the timeline, in stats by category and in metrics")
    func pricing() async throws {
        try await withSandbox { sandbox, url in
            var c = config(url)
            c.channels[0].enforceWindow = false
            try await withDaemon(c, dir: dir) { d in
                try await connect(sandbox, d)
                let template = #"{"channel":"main","to":"+4915100000301","message":{"type":"template","template":{"name":"order_update","language":{"code":"en"}}}}"#
                let (_, body) = try await d.post("/v1/messages", json: template)
                let id = try JSONDecoder().decode(SubmitResponse.self, from: Data(body)).id
                let free = try await d.sendText("x", to: "+4915100000302")
                try await d.waitFor(id, in: [.read])
                try await d.waitFor(free, in: [.read])
                let m = try await d.message(id)
                let sent = try #require(m.events?.first { $0.status == "sent" })
                #expect(sent.pricing == PricingDocument(billable: true, pricingModel: "PMP", type: "regular", category: "utility"))
                let priced = try #require(try await d.channels().channels.first?.pricedToday)
                #expect(priced["utility"] == PricedCount(messages: 1, billable: 1))
                #expect(priced["service"] == PricedCount(messages: 1, billable: 0))
                let metrics = PrometheusText(try await d.get("/metrics").body)
                #expect(metrics.value("wa_outbox_messages_priced_total", ["channel": "main", "category": "utility", "billable": "true"]) == 1)
            }
        }
    }
}
