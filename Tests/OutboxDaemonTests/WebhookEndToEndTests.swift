import Foundation
import OutboxAPI
import OutboxCore
import OutboxDaemon
import Sandbox
import Testing
import TestSupport

/// Sandbox → webhook receiver → timeline: statuses as the sandbox delivers them, duplicated and
/// reordered, inbound messages, and a request whose answer never came.
@Suite("Webhooks end to end")
struct WebhookEndToEndTests {
    let dir = TempDir()

    func config(_ url: String) -> DaemonConfig {
        var c = testConfig(dir: dir, baseURL: url)
        c.webhook.listen = "127.0.0.1:0"
        return c
    }

    /// Points the sandbox's webhook for the test key at the daemon's receiver.
    func connect(_ sandbox: SandboxServer, _ d: DaemonHarness) async throws {
        _ = try await eventually { d.daemon.webhookListeningPort != nil }
        sandbox.state.setWebhook(SandboxWebhook(url: "http://127.0.0.1:\(d.daemon.webhookListeningPort!)/webhooks/main"), forKey: "key-main")
    }

    @Test("duplicated and reordered statuses end in read, each status once in the timeline")
    func duplicatesAndReordering() async throws {
        try await withSandbox(faults: SandboxFaults(webhookDuplicateRate: 1, webhookReorder: true)) { sandbox, url in
            try await withDaemon(config(url), dir: dir) { d in
                try await connect(sandbox, d)
                let id = try await d.sendText("x", to: "+4915100000020")
                try await d.waitFor(id, in: [.read])
                _ = try await eventually { sandbox.state.webhookDeliveries().filter(\.delivered).count >= 6 }
                _ = try await eventually { try await d.daemon.store.inboxCounts().pending == 0 }
                let m = try await d.message(id)
                #expect(m.state == .read)
                #expect(m.events?.map(\.status).sorted() == ["delivered", "read", "sent"])
            }
        }
    }

    @Test("an asynchronous failure arrives as a failed status and marks the number unreachable")
    func asyncFailure() async throws {
        let faults = SandboxFaults(recipients: [RecipientFault(to: "+4915100000021", code: 131026, async: true)])
        try await withSandbox(faults: faults) { sandbox, url in
            try await withDaemon(config(url), dir: dir) { d in
                try await connect(sandbox, d)
                let id = try await d.sendText("x", to: "+4915100000021")
                let m = try await d.waitFor(id, in: [.failed])
                #expect(m.attempts?.map(\.outcome) == [.accepted])
                #expect(m.lastError?.contains("131026") == true)
                #expect(try await eventually { try await d.daemon.store.recipientFacts(channel: "main", recipient: "+4915100000021")?.unreachable != nil })
            }
        }
    }

    @Test("a simulated customer message opens the window for free-form text")
    func inboundOpensWindow() async throws {
        try await withSandbox { sandbox, url in
            var c = config(url)
            c.channels[0].enforceWindow = true
            try await withDaemon(c, dir: dir) { d in
                try await connect(sandbox, d)
                let text = #"{"channel":"main","to":"+4915100000022","message":{"type":"text","text":{"body":"Hi"}}}"#
                #expect(try await d.post("/v1/messages", json: text).status == 422)
                try sandbox.state.simulateInbound(key: "key-main", from: "+4915100000022", text: "hello?")
                #expect(try await eventually { try await d.daemon.store.lastInbound(channel: "main", recipient: "+4915100000022") != nil })
                let (status, body) = try await d.post("/v1/messages", json: text)
                #expect(status == 202)
                try await d.waitFor(try JSONDecoder().decode(SubmitResponse.self, from: Data(body)).id, in: [.sent, .delivered, .read])
            }
        }
    }

    @Test("a request whose answer never came is settled by the status webhook, not sent twice")
    func answerNeverCame() async throws {
        // The sandbox takes the message but answers after the daemon gave up waiting.
        try await withSandbox(faults: SandboxFaults(slowRate: 1, slowMillis: 1_500)) { sandbox, url in
            var c = config(url)
            c.sender.requestTimeoutMillis = 300
            try await withDaemon(c, dir: dir) { d in
                try await connect(sandbox, d)
                let id = try await d.sendText("x", to: "+4915100000023")
                let m = try await d.waitFor(id, in: [.sent, .delivered, .read])
                // (On a busy machine a first try may not even connect within 300 ms: that one is
                // "not sent", provably never reached the API, and is no duplicate.)
                #expect(m.attempts?.filter { $0.errorTitle != "not sent" }.map(\.outcome) == [.unknownOutcome])
                #expect(m.events?.contains { $0.status == "settled" } == true)
                #expect(m.wamid == sandbox.state.received().first?.wamid)
                #expect(sandbox.state.received().count == 1)
            }
        }
    }
}
