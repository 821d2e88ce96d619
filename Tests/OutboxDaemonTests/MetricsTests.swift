import Foundation
import OutboxAPI
import OutboxCore
import OutboxDaemon
import OutboxStore
import Sandbox
import Testing
import TestSupport

/// `GET /metrics`: real sends through the sandbox, read back over the real socket and the
/// real webhook listener.
@Suite("Metrics")
struct MetricsTests {
    let dir = TempDir()
    /// Every label a series may carry; anything else could be a message id or a number.
    static let allowedLabels: Set<String> = ["channel", "priority", "outcome", "error_class", "state", "le"]

    @Test("the socket's /metrics counts sends per channel, outcome and error class, and shows no key, number or id")
    func socketCounters() async throws {
        let faults = SandboxFaults(recipients: [RecipientFault(to: "+4915100000001", code: 131026)])
        try await withSandbox(faults: faults) { _, url in
            let config = testConfig(dir: dir, baseURL: url, channels: [
                TestChannel("main", key: "main-SECRET-key"), TestChannel("other", key: "other-SECRET-key", messagesPerSecond: 50),
            ])
            try await withDaemon(config, dir: dir) { d in
                var sent: [String] = []
                for i in 0..<3 { sent.append(try await d.sendText("Hello \(i)", to: "+4915112345\(670 + i)")) }
                let failed = try await d.sendText("x", to: "+4915100000001")
                sent.append(try await d.sendText("Hi", to: "+4915112345699", channel: "other", extra: #","priority":"high""#))
                for id in sent { try await d.waitFor(id, in: [.sent]) }
                try await d.waitFor(failed, in: [.failed])

                let (status, body) = try await d.get("/metrics")
                #expect(status == 200)
                let m = PrometheusText(body)
                #expect(m.value("wa_outbox_messages_accepted_total", ["channel": "main", "priority": "normal"]) == 4)
                #expect(m.value("wa_outbox_messages_accepted_total", ["channel": "other", "priority": "high"]) == 1)
                #expect(m.value("wa_outbox_messages_sent_total", ["channel": "main"]) == 3)
                #expect(m.value("wa_outbox_messages_sent_total", ["channel": "other"]) == 1)
                #expect(m.value("wa_outbox_messages_failed_total", ["channel": "main", "error_class": "permanent"]) == 1)
                #expect(m.value("wa_outbox_attempts_total", ["channel": "main", "outcome": "accepted", "error_class": "none"]) == 3)
                #expect(m.value("wa_outbox_attempts_total", ["channel": "main", "outcome": "permanent_error", "error_class": "permanent"]) == 1)
                #expect(m.value("wa_outbox_send_duration_seconds_count", ["channel": "main"]) == 4)
                #expect(m.value("wa_outbox_send_duration_seconds_bucket", ["channel": "main", "le": "30.0"]) == 4)
                #expect(m.value("wa_outbox_submit_commit_seconds_count") ?? 0 >= 1)
                // Scrape-time figures: the queues are empty, the limits are those configured.
                #expect(m.value("wa_outbox_queue_depth", ["channel": "main", "priority": "normal"]) == 0)
                #expect(m.value("wa_outbox_queue_oldest_age_seconds", ["channel": "main"]) == 0)
                #expect(m.value("wa_outbox_rate_limit", ["channel": "other"]) == 50)
                #expect(m.value("wa_outbox_rate_limit", ["channel": "main"]) == 0)
                #expect(m.value("wa_outbox_channel_paused", ["channel": "main"]) == 0)
                #expect(m.value("wa_outbox_send_rate", ["channel": "main"]) != nil)
                // Low cardinality, no secrets: no key, no phone number, no wamid, no id label.
                #expect(!m.text.contains("SECRET"))
                #expect(!m.text.contains("4915"))
                #expect(!m.text.contains("wamid"))
                #expect(m.samples.allSatisfy { Set($0.labels.keys).isSubset(of: Self.allowedLabels) })
                #expect(m.samples.allSatisfy { $0.name.hasPrefix("wa_outbox_") })
            }
        }
    }

    @Test("queue depth and the age of the oldest due message are read from the store when scraped, at most once every 5 seconds")
    func queueGauges() async throws {
        let clock = ManualClock()
        do {
            // A paused channel keeps its queue: nothing leaves while the test looks.
            let store = try SQLiteOutboxStore(path: dir.file("outbox.db"))
            try await store.pause(channel: "main", reason: "held for the test", untilMillis: nil, nowMillis: clock.nowMillis())
        }
        try await withDaemon(testConfig(dir: dir, baseURL: "http://127.0.0.1:9"), dir: dir, clock: clock) { d in
            for i in 0..<3 { _ = try await d.sendText("x \(i)", to: "+4915112345\(680 + i)", extra: #","priority":"bulk""#) }
            _ = try await d.sendText("later", to: "+4915112345690", extra: #","not_before":"2027-01-01T00:00:00Z""#)
            clock.advance(byMillis: 5_000)
            let m = PrometheusText(try await d.get("/metrics").body)
            #expect(m.value("wa_outbox_queue_depth", ["channel": "main", "priority": "bulk"]) == 3)
            #expect(m.value("wa_outbox_queue_depth", ["channel": "main", "priority": "normal"]) == 1)
            #expect(m.value("wa_outbox_queue_depth", ["channel": "main", "priority": "high"]) == 0)
            #expect(m.value("wa_outbox_queue_oldest_age_seconds", ["channel": "main"]) == 5)
            #expect(m.value("wa_outbox_channel_paused", ["channel": "main"]) == 1)
            // Within 5 seconds the store is not read again.
            _ = try await d.sendText("y", to: "+4915112345691", extra: #","priority":"bulk""#)
            clock.advance(byMillis: 4_999)
            #expect(PrometheusText(try await d.get("/metrics").body).value("wa_outbox_queue_depth", ["channel": "main", "priority": "bulk"]) == 3)
            clock.advance(byMillis: 1)
            let later = PrometheusText(try await d.get("/metrics").body)
            #expect(later.value("wa_outbox_queue_depth", ["channel": "main", "priority": "bulk"]) == 4)
            #expect(later.value("wa_outbox_queue_oldest_age_seconds", ["channel": "main"]) == 10)
        }
    }

    @Test("messages that expire while queued are counted per channel")
    func expired() async throws {
        let clock = ManualClock()
        try await withDaemon(testConfig(dir: dir, baseURL: "http://127.0.0.1:9"), dir: dir, clock: clock) { d in
            // ManualClock starts at 2026-11-21T00:00:00Z.
            let id = try await d.sendText("code 1234", to: "+4915112345678",
                                          extra: #","not_before":"2026-11-21T00:00:01Z","expires_at":"2026-11-21T00:00:02Z""#)
            // Work due later does not ring the worker: it looks again within a minute.
            clock.advance(byMillis: 61_000)
            try await d.waitFor(id, in: [.expired])
            clock.advance(byMillis: 1_000)
            let m = PrometheusText(try await d.get("/metrics").body)
            #expect(m.value("wa_outbox_messages_expired_total", ["channel": "main"]) == 1)
            #expect(m.value("wa_outbox_attempts_total", ["channel": "main", "outcome": "accepted", "error_class": "none"]) == nil)
        }
    }

    @Test("the webhook listener serves /metrics and counts deliveries by channel and answer; a failed status counts as a failure")
    func webhooks() async throws {
        try await withSandbox { _, url in
            var config = testConfig(dir: dir, baseURL: url)
            config.webhook.listen = "127.0.0.1:0"
            try await withDaemon(config, dir: dir) { d in
                let id = try await d.sendText("x", to: "+4915112345678")
                let wamid = try #require(try await d.waitFor(id, in: [.sent]).wamid)
                _ = try await eventually { d.daemon.webhookListeningPort != nil }
                let base = "http://127.0.0.1:\(d.daemon.webhookListeningPort!)"
                #expect(try await httpPost("\(base)/webhooks/main", body: cloudStatus(wamid: wamid, status: "failed", errorCode: 131049)).status == 200)
                #expect(try await httpPost("\(base)/webhooks/nosuchchannel", body: "{}").status == 404)
                try await d.waitFor(id, in: [.failed])
                // The timeline is read at most once a second.
                var m = PrometheusText([])
                #expect(try await eventually(timeoutSeconds: 5) {
                    m = PrometheusText(try await httpGet("\(base)/metrics").body)
                    return m.value("wa_outbox_messages_failed_total", ["channel": "main", "error_class": "status"]) == 1
                })
                #expect(m.value("wa_outbox_webhooks_received_total", ["channel": "main", "outcome": "stored"]) == 1)
                #expect(m.value("wa_outbox_webhooks_received_total", ["channel": "unknown", "outcome": "rejected"]) == 1)
                #expect(m.value("wa_outbox_webhook_answer_seconds_count") == 2)
                #expect(!m.text.contains("nosuchchannel"))
            }
        }
    }

    @Test("with [webhook] metrics = false the listener does not serve /metrics; the socket still does")
    func webhookMetricsOff() async throws {
        var config = testConfig(dir: dir, baseURL: "http://127.0.0.1:9")
        config.webhook.listen = "127.0.0.1:0"
        config.webhook.metrics = false
        try await withDaemon(config, dir: dir) { d in
            _ = try await eventually { d.daemon.webhookListeningPort != nil }
            #expect(try await httpGet("http://127.0.0.1:\(d.daemon.webhookListeningPort!)/metrics").status == 404)
            #expect(try await d.get("/metrics").status == 200)
        }
    }
}
