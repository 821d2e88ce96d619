import Foundation
import OutboxAPI
import OutboxCore
import OutboxDaemon
import Sandbox
import Testing
import TestSupport

/// Errors as the API reports them, through the real socket, the real webhook receiver and
/// real HTTP to the sandbox: failures by webhook acted on by class, configuration problems,
/// the spam limit, unreachable numbers, an On-Premise throttle.
@Suite("Error facts end to end")
struct ErrorFactsEndToEndTests {
    let dir = TempDir()

    func config(_ url: String, api: ChannelAPI = .cloud) -> DaemonConfig {
        var c = testConfig(dir: dir, baseURL: url, channels: [TestChannel(api: api)])
        c.webhook.listen = "127.0.0.1:0"
        c.channels[0].rules.pairIntervalMillis = 0
        return c
    }

    func connect(_ sandbox: SandboxServer, _ d: DaemonHarness) async throws {
        _ = try await eventually { d.daemon.webhookListeningPort != nil }
        sandbox.state.setWebhook(SandboxWebhook(url: "http://127.0.0.1:\(d.daemon.webhookListeningPort!)/webhooks/main"), forKey: "key-main")
    }

    func channel(_ d: DaemonHarness) async throws -> ChannelStatus {
        try #require(try await d.channels().channels.first { $0.name == "main" })
    }

    @Test("131042 reported only by webhook pauses the channel with the reason; its queue is kept; stats, health and metrics show it")
    func asyncChannelFailure() async throws {
        let faults = SandboxFaults(recipients: [RecipientFault(to: "+4915100000101", code: 131042, async: true)])
        try await withSandbox(faults: faults) { sandbox, url in
            try await withDaemon(config(url), dir: dir) { d in
                try await connect(sandbox, d)
                let first = try await d.sendText("x", to: "+4915100000101")
                let m = try await d.waitFor(first, in: [.failed])
                #expect(m.attempts?.map(\.outcome) == [.accepted])
                #expect(m.lastError?.contains("131042") == true)
                #expect(try await eventually { try await channel(d).paused })
                #expect(try await channel(d).pauseReason?.contains("131042") == true)
                // The messages behind it wait with the channel instead of running into the same problem.
                var later: [String] = []
                for i in 2...6 { later.append(try await d.sendText("y", to: "+491510000010\(i)")) }
                try await Task.sleep(for: .milliseconds(300))
                for id in later { #expect(try await d.message(id).state == .queued) }
                #expect(sandbox.state.received().count == 1)
                let health = String(decoding: try await d.get("/v1/health").body, as: UTF8.self)
                #expect(health.contains("paused") && health.contains("131042"))
                let metrics = PrometheusText(try await d.get("/metrics").body)
                #expect(metrics.value("wa_outbox_channel_paused", ["channel": "main"]) == 1)
                // After the operator fixed the payment, resume sends them.
                #expect(try await d.post("/v1/channels/main/resume", json: "").status == 200)
                for id in later { try await d.waitFor(id, in: [.sent, .delivered, .read]) }
            }
        }
    }

    @Test("360dialog's 403 without a Meta code pauses the channel as a configuration problem; the message goes back to the queue")
    func forbiddenWithoutCode() async throws {
        let faults = SandboxFaults(recipients: [RecipientFault(to: "+4915100000111", code: 403, times: 1)])
        try await withSandbox(faults: faults) { sandbox, url in
            try await withDaemon(config(url), dir: dir) { d in
                let id = try await d.sendText("x", to: "+4915100000111")
                #expect(try await eventually { try await channel(d).paused })
                let status = try await channel(d)
                #expect(status.pauseReason?.contains("configuration problem") == true)
                #expect(status.pauseReason?.contains("The endpoint is blocked") == true)
                let m = try await d.message(id)
                #expect(m.state == .queued, "not failed: the channel, not the message, is at fault")
                #expect(m.attempts?.map(\.outcome) == [.channelError])
                #expect(try await d.post("/v1/channels/main/resume", json: "").status == 200)
                try await d.waitFor(id, in: [.sent, .delivered, .read])
            }
        }
    }

    @Test("a wrong base_url (HTTP 404 from the server) pauses the channel instead of failing every queued message")
    func wrongPath() async throws {
        try await withSandbox { _, url in
            var c = config(url + "/wrong/prefix")
            c.webhook.listen = nil
            try await withDaemon(c, dir: dir) { d in
                var ids: [String] = []
                for i in 0..<5 { ids.append(try await d.sendText("x", to: "+491510000012\(i)")) }
                #expect(try await eventually { try await channel(d).paused })
                #expect(try await channel(d).pauseReason?.contains("HTTP 404") == true)
                for id in ids { #expect(try await d.message(id).state == .queued) }
            }
        }
    }

    @Test("131048 holds the channel's normal and bulk traffic (visible in stats), lowers the rate, and lets high priority through")
    func spamLimit() async throws {
        let faults = SandboxFaults(recipients: [RecipientFault(to: "+4915100000131", code: 131048, times: 1)])
        try await withSandbox(faults: faults) { sandbox, url in
            var c = config(url)
            c.channels[0].messagesPerSecond = 40
            try await withDaemon(c, dir: dir) { d in
                let drew = try await d.sendText("x", to: "+4915100000131", extra: #","priority":"bulk""#)
                #expect(try await eventually { try await channel(d).spamHold != nil })
                let hold = try #require(try await channel(d).spamHold)
                #expect(hold.level == 1 && hold.held == ["normal", "bulk"])
                #expect(try await channel(d).limitMps < 40, "the rate is lowered")
                let m = try await d.message(drew)
                #expect(m.state == .queued && m.attempts?.first?.errorCode == 131048)
                #expect(m.attempts?.first?.fbtraceID?.isEmpty == false, "fbtrace_id is kept for support")
                let normal = try await d.sendText("n", to: "+4915100000132")
                let high = try await d.sendText("h", to: "+4915100000133", extra: #","priority":"high""#)
                try await d.waitFor(high, in: [.sent, .delivered, .read])
                #expect(try await d.message(normal).state == .queued)
                #expect(sandbox.state.received().map(\.to).contains("+4915100000132") == false)
            }
        }
    }

    @Test("after 131026 by webhook a later message to that number fails without a request, with the reason")
    func unreachableNumber() async throws {
        let faults = SandboxFaults(recipients: [RecipientFault(to: "+4915100000141", code: 131026, async: true)])
        try await withSandbox(faults: faults) { sandbox, url in
            try await withDaemon(config(url), dir: dir) { d in
                try await connect(sandbox, d)
                let first = try await d.sendText("x", to: "+4915100000141")
                try await d.waitFor(first, in: [.failed])
                _ = try await eventually { try await d.daemon.store.recipientFacts(channel: "main", recipient: "+4915100000141")?.unreachable != nil }
                let later = try await d.sendText("y", to: "+4915100000141")
                let m = try await d.waitFor(later, in: [.failed])
                #expect(m.lastError?.hasPrefix("recipient_unreachable") == true)
                #expect(m.attempts?.isEmpty ?? true)
                #expect(sandbox.state.received().count == 1)
            }
        }
    }

    @Test("an On-Premise throttle ({\"errors\":[{\"code\":429}]}) lowers the channel's rate")
    func onPremiseThrottle() async throws {
        try await withSandbox(faults: SandboxFaults(tooManyRequestsRate: 1)) { sandbox, url in
            var c = config(url, api: .onpremise)
            c.webhook.listen = nil
            c.channels[0].messagesPerSecond = 40
            try await withDaemon(c, dir: dir) { d in
                _ = try await d.sendText("x", to: "+4915100000151")
                #expect(try await eventually { try await channel(d).limitMps < 40 })
                #expect(sandbox.state.received().isEmpty)
            }
        }
    }
}
