import Foundation
import OutboxAPI
import OutboxCore
import OutboxDaemon
import Sandbox
import Synchronization
import Testing
import TestSupport
import WhatsApp

/// `GET /v1/health`: each channel's state and last successful send, and the background probe
/// of 360dialog's health endpoint (at most once per 5 minutes per channel).
@Suite("Health")
struct HealthTests {
    let dir = TempDir()

    /// The real HTTP transport, counting the health probes that pass through it.
    final class CountingTransport: MessageTransport, AccountAPI {
        let http = HTTPTransport()
        let probes = Mutex(0)

        func send(_ request: OutboundRequest) async -> SendResult { await http.send(request) }

        func call(_ method: String, url: String, apiKey: String, body: String?, timeoutMillis: Int64) async throws -> (status: Int, body: [UInt8]) {
            if url.hasSuffix("/health_status") || url.hasSuffix("/v1/health") { probes.withLock { $0 += 1 } }
            return try await http.call(method, url: url, apiKey: apiKey, body: body, timeoutMillis: timeoutMillis)
        }
    }

    func health(_ d: DaemonHarness) async throws -> HealthDocument {
        let (status, body) = try await d.get("/v1/health")
        #expect(status == 200)
        return try JSONDecoder().decode(HealthDocument.self, from: Data(body))
    }

    @Test("a channel is idle until it sends, ok while it sends, idle a minute later, with its last send; an invalid key pauses another")
    func states() async throws {
        let clock = ManualClock()
        try await withSandbox(keys: ["key-main": SandboxKey()]) { _, url in
            let config = testConfig(dir: dir, baseURL: url, channels: [TestChannel("main"), TestChannel("bad", key: "key-wrong")])
            try await withDaemon(config, dir: dir, clock: clock) { d in
                var h = try await health(d)
                #expect(h.channelHealth?["main"] == ChannelHealth(state: "idle"))
                try await d.waitFor(try await d.sendText("x", to: "+4915112340001"), in: [.sent])
                _ = try await d.sendText("x", to: "+4915112340002", channel: "bad")
                #expect(try await eventually { try await health(d).channelHealth?["bad"]?.state == "paused" })
                h = try await health(d)
                #expect(h.channelHealth?["main"]?.state == "ok")
                #expect(h.channelHealth?["main"]?.lastSentAt == RFC3339.format(millis: clock.nowMillis()))
                #expect(h.channelHealth?["main"]?.probe == nil)
                #expect(h.channelHealth?["bad"]?.pauseReason?.isEmpty == false)
                #expect(h.channelHealth?["bad"]?.lastSentAt == nil)
                #expect(h.channels["bad"]?.hasPrefix("paused: ") == true)
                clock.advance(byMillis: 61_000)
                h = try await health(d)
                #expect(h.channelHealth?["main"]?.state == "idle")
                #expect(h.channelHealth?["main"]?.lastSentAt != nil)
            }
        }
    }

    @Test("the last successful send is found in the audit trail after a restart")
    func seededAfterRestart() async throws {
        try await withSandbox { _, url in
            let config = testConfig(dir: dir, baseURL: url)
            let clock = ManualClock()
            try await withDaemon(config, dir: dir, clock: clock) { d in
                try await d.waitFor(try await d.sendText("x", to: "+4915112340001"), in: [.sent])
            }
            let sentAt = RFC3339.format(millis: clock.nowMillis())
            // Two hours later: older than the counters' seed from the last hour.
            let later = ManualClock(startMillis: clock.nowMillis() + 7_200_000)
            try await withDaemon(config, dir: dir, clock: later) { d in
                let seeded = try await eventually { try await health(d).channelHealth?["main"]?.lastSentAt == sentAt }
                #expect(seeded)
            }
        }
    }

    @Test("with health_probe on, 360dialog's health endpoint is probed in the background, at most once per 5 minutes")
    func probe() async throws {
        let clock = ManualClock()
        let transport = CountingTransport()
        try await withSandbox { _, url in
            var config = testConfig(dir: dir, baseURL: url, channels: [TestChannel("main"), TestChannel("onprem", api: .onpremise), TestChannel("quiet")])
            config.channels[0].healthProbe = true
            config.channels[1].healthProbe = true
            try await withDaemon(config, dir: dir, clock: clock, transport: transport) { d in
                #expect(try await eventually { try await health(d).channelHealth?.values.compactMap(\.probe).count == 2 })
                let h = try await health(d)
                #expect(h.channelHealth?["main"]?.probe == HealthProbeStatus(status: "AVAILABLE", ok: true, detail: nil, checkedAt: RFC3339.format(millis: clock.nowMillis())))
                #expect(h.channelHealth?["onprem"]?.probe?.status == "connected")
                #expect(h.channelHealth?["quiet"]?.probe == nil)
                #expect(transport.probes.withLock { $0 } == 2)
                // Requests for the health document never probe; only time does.
                for _ in 0..<3 { _ = try await health(d) }
                clock.advance(byMillis: 299_000)
                try await Task.sleep(nanoseconds: 50_000_000)
                #expect(transport.probes.withLock { $0 } == 2)
                clock.advance(byMillis: 1_000)
                #expect(try await eventually { transport.probes.withLock { $0 } == 4 })
            }
        }
        await transport.http.shutdown()
    }
}
