import Foundation
import OutboxAPI
import OutboxCore
import OutboxDaemon
import OutboxStore
import Sandbox
import Testing
import TestSupport

/// Statuses and inbound messages: through the webhook receiver and `POST /v1/inbound`.
@Suite("Webhooks")
struct WebhookTests {
    let dir = TempDir()

    func config(_ url: String) -> DaemonConfig {
        var c = testConfig(dir: dir, baseURL: url)
        c.channels[0].phoneNumberID = "106540352242922"
        c.webhook.listen = "127.0.0.1:0"
        return c
    }

    func webhookURL(_ d: DaemonHarness) async throws -> String {
        _ = try await eventually { d.daemon.webhookListeningPort != nil }
        return "http://127.0.0.1:\(d.daemon.webhookListeningPort!)/webhooks/main"
    }

    @Test("statuses apply forward only; duplicates and late ones change nothing; each is in the timeline once")
    func statuses() async throws {
        try await withSandbox { _, url in
            try await withDaemon(config(url), dir: dir) { d in
                let id = try await d.sendText("x", to: "+4915112345678")
                let wamid = try #require(try await d.waitFor(id, in: [.sent]).wamid)
                let hook = try await webhookURL(d)
                for status in ["delivered", "sent", "read", "read", "delivered"] {
                    let (code, _) = try await httpPost(hook, body: cloudStatus(wamid: wamid, status: status))
                    #expect(code == 200)
                }
                let m = try await d.waitFor(id, in: [.read])
                #expect(try await eventually { try await d.message(id).events?.count == 3 })
                #expect(Set(try await d.message(id).events?.map(\.status) ?? []) == ["sent", "delivered", "read"])
                #expect(m.state == .read)
            }
        }
    }

    @Test("read without delivered is normal; failed then read shows the failure was wrong")
    func readWithoutDelivered() async throws {
        try await withSandbox { _, url in
            try await withDaemon(config(url), dir: dir) { d in
                let id = try await d.sendText("x", to: "+4915112345678")
                let wamid = try #require(try await d.waitFor(id, in: [.sent]).wamid)
                _ = try await d.post("/v1/inbound?channel=main", json: cloudStatus(wamid: wamid, status: "failed", errorCode: 131000))
                try await d.waitFor(id, in: [.failed])
                _ = try await d.post("/v1/inbound?channel=main", json: cloudStatus(wamid: wamid, status: "read"))
                try await d.waitFor(id, in: [.read])
            }
        }
    }

    @Test("an unknown outcome is settled by a status carrying our callback data, and not resent")
    func reconciliation() async throws {
        // The sandbox drops the connection: the request may or may not have reached the API.
        let faults = SandboxFaults(recipients: [RecipientFault(to: "+4915100000010", code: 0, times: 1)])
        try await withSandbox(faults: faults) { sandbox, url in
            try await withDaemon(config(url), dir: dir) { d in
                let id = try await d.sendText("x", to: "+4915100000010")
                let pending = try await d.waitFor(id, in: [.sending])
                _ = try await eventually { try await d.message(id).awaitingSettlement }
                #expect(try await d.message(id).attempts?.map(\.outcome) == [.unknownOutcome])
                _ = pending
                let callback = d.daemon.store.callbackData(for: Int64(id)!)
                let (code, _) = try await httpPost(try await webhookURL(d), body: cloudStatus(wamid: "wamid.settled", status: "sent", callbackData: callback))
                #expect(code == 200)
                let m = try await d.waitFor(id, in: [.sent])
                #expect(m.wamid == "wamid.settled")
                #expect(!m.awaitingSettlement)
                #expect(m.events?.contains { $0.status == "settled" } == true)
                #expect(sandbox.state.received().isEmpty)
            }
        }
    }

    @Test("inbound messages open the window, routed by URL or by phone_number_id; statuses do not")
    func inbound() async throws {
        try await withSandbox { _, url in
            try await withDaemon(config(url), dir: dir) { d in
                let (c1, _) = try await d.post("/v1/inbound", json: cloudInbound(from: "4915112345678", timestamp: 1_795_257_000))
                #expect(c1 == 200)
                let (c2, _) = try await httpPost(try await webhookURL(d), body: #"{"contacts":[{"wa_id":"4915112345679"}],"messages":[{"from":"4915112345679","id":"x","timestamp":"1795257100","type":"text","text":{"body":"hi"}}]}"#)
                #expect(c2 == 200)
                let store = d.daemon.store
                #expect(try await eventually { try await store.lastInbound(channel: "main", recipient: "+4915112345678") == 1_795_257_000_000 })
                #expect(try await eventually { try await store.lastInbound(channel: "main", recipient: "+4915112345679") == 1_795_257_100_000 })
                // An older message does not move the window back.
                _ = try await d.post("/v1/inbound?channel=main", json: cloudInbound(from: "4915112345678", timestamp: 1_795_000_000))
                _ = try await eventually { try await store.inboxCounts().pending == 0 }
                #expect(try await store.lastInbound(channel: "main", recipient: "+4915112345678") == 1_795_257_000_000)
            }
        }
    }

    @Test("failed statuses teach the window and reachability, by the same table as synchronous errors")
    func failureFacts() async throws {
        try await withSandbox { _, url in
            try await withDaemon(config(url), dir: dir) { d in
                let a = try await d.sendText("a", to: "+4915112345601")
                let b = try await d.sendText("b", to: "+4915112345602")
                let wa = try #require(try await d.waitFor(a, in: [.sent]).wamid)
                let wb = try #require(try await d.waitFor(b, in: [.sent]).wamid)
                _ = try await d.post("/v1/inbound", json: cloudStatus(wamid: wa, status: "failed", errorCode: 131047))
                _ = try await d.post("/v1/inbound", json: cloudStatus(wamid: wb, status: "failed", errorCode: 131026))
                let failed = try await d.waitFor(a, in: [.failed])
                #expect(failed.lastError?.contains("131047") == true)
                let store = d.daemon.store
                #expect(try await eventually { try await store.recipientFacts(channel: "main", recipient: "+4915112345601")?.windowClosed != nil })
                #expect(try await eventually { try await store.recipientFacts(channel: "main", recipient: "+4915112345602")?.unreachable != nil })
            }
        }
    }

    @Test("wrong credentials get 401 and store nothing; a malformed payload is kept with the parse error")
    func authAndMalformed() async throws {
        dir.keyFile("basic", key: "360dialog:s3cret")
        dir.keyFile("secret", key: "hook-secret")
        try await withSandbox { _, url in
            var c = config(url)
            c.webhook.basicAuth = Secret("360dialog:s3cret")
            c.webhook.secretHeader = ("X-Webhook-Secret", Secret("hook-secret"))
            try await withDaemon(c, dir: dir) { d in
                let hook = try await webhookURL(d)
                let good = [("Authorization", "Basic " + Data("360dialog:s3cret".utf8).base64EncodedString()), ("X-Webhook-Secret", "hook-secret")]
                #expect(try await httpPost(hook, body: "{}").status == 401)
                #expect(try await httpPost(hook, body: "{}", headers: [good[0]]).status == 401)
                #expect(try await httpPost(hook, body: "{}", headers: [good[0], ("X-Webhook-Secret", "hook-secreT")]).status == 401)
                #expect(try await d.daemon.store.inboxCounts() == (0, 0))
                #expect(try await httpPost(hook, body: "this is not json", headers: good).status == 200)
                #expect(try await httpPost(hook.replacingOccurrences(of: "/main", with: "/nope"), body: "{}", headers: good).status == 404)
                #expect(try await eventually { try await d.daemon.store.inboxCounts() == (0, 1) })
            }
        }
    }
}
