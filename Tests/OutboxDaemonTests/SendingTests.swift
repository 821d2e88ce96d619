import Foundation
import OutboxAPI
import OutboxCore
import OutboxDaemon
import OutboxStore
import Sandbox
import Testing
import TestSupport

/// The sender end to end: real socket, real SQLite, real HTTP to the built-in sandbox.
@Suite("Sending through the sandbox")
struct SendingTests {
    let dir = TempDir()

    @Test("a message is sent, with its wamid, one attempt and the message id as callback data")
    func sent() async throws {
        try await withSandbox { sandbox, url in
            try await withDaemon(testConfig(dir: dir, baseURL: url), dir: dir) { d in
                let id = try await d.sendText("Hello", to: "+4915112345678")
                let m = try await d.waitFor(id, in: [.sent])
                #expect(m.wamid?.hasPrefix("wamid.") == true)
                #expect(m.attempts?.map(\.outcome) == [.accepted])
                let received = sandbox.state.received()
                #expect(received.count == 1)
                #expect(received.first?.to == "+4915112345678")
                #expect(received.first?.callbackData == d.daemon.store.callbackData(for: Int64(id)!))
            }
        }
    }

    @Test("a permanent error fails the message with no retry")
    func permanent() async throws {
        let faults = SandboxFaults(recipients: [RecipientFault(to: "+4915100000001", code: 131026)])
        try await withSandbox(faults: faults) { sandbox, url in
            try await withDaemon(testConfig(dir: dir, baseURL: url), dir: dir) { d in
                let id = try await d.sendText("x", to: "+4915100000001")
                let m = try await d.waitFor(id, in: [.failed])
                #expect(m.attempts?.count == 1)
                #expect(m.attempts?.first?.outcome == .permanentError)
                #expect(m.attempts?.first?.errorCode == 131026)
                #expect(m.lastError?.contains("131026") == true)
                #expect(sandbox.state.requestCount() == 1)
            }
        }
    }

    @Test("a 5xx then success retries and records both attempts")
    func retryThenSuccess() async throws {
        let faults = SandboxFaults(recipients: [RecipientFault(to: "+4915100000002", code: 500, httpStatus: 500, times: 1)])
        try await withSandbox(faults: faults) { _, url in
            try await withDaemon(testConfig(dir: dir, baseURL: url), dir: dir) { d in
                let id = try await d.sendText("x", to: "+4915100000002")
                let m = try await d.waitFor(id, in: [.sent])
                #expect(m.attempts?.map(\.outcome) == [.retryableError, .accepted])
                #expect(m.attempts?.first?.httpStatus == 500)
            }
        }
    }

    @Test("a 429 burst is absorbed without failing anything")
    func tooManyRequests() async throws {
        // The sandbox allows 5 requests a second for this key; the channel has no limit of its own.
        // (At 20 a second, a daemon slowed by the loaded machine sometimes never drew a 429.)
        try await withSandbox(keys: ["key-main": SandboxKey(messagesPerSecond: 5)]) { sandbox, url in
            try await withDaemon(testConfig(dir: dir, baseURL: url), dir: dir) { d in
                let lines = (0..<40).map { #"{"channel":"main","to":"+49151000\#(10000 + $0)","message":{"type":"text","text":{"body":"b"}}}"# }
                let (status, body) = try await d.post("/v1/messages/batch", json: lines.joined(separator: "\n"))
                #expect(status == 200)
                let ids = try JSONDecoder().decode(BatchResponse.self, from: Data(body)).results.compactMap(\.id)
                #expect(ids.count == 40)
                for id in ids { try await d.waitFor(id, in: [.sent, .failed], timeoutSeconds: 60) }
                var rateLimited = 0
                for id in ids {
                    let m = try await d.message(id)
                    #expect(m.state == .sent)
                    rateLimited += m.attempts?.filter { $0.outcome == .rateLimited }.count ?? 0
                }
                #expect(rateLimited > 0)
                #expect(sandbox.state.received().count == 40)
                // The channel slowed down on its own (AIMD): it now has a limit where it had none.
                #expect(try await d.channels().channels[0].limitMps > 0)
            }
        }
    }

    @Test("an invalid key pauses only its channel, keeping its queue; resume lets it go")
    func invalidKey() async throws {
        try await withSandbox(keys: ["good": SandboxKey(), "fixed": SandboxKey()]) { _, url in
            let config = testConfig(dir: dir, baseURL: url, channels: [TestChannel("bad", key: "wrong"), TestChannel("good", key: "good")])
            try await withDaemon(config, dir: dir) { d in
                let bad = try await d.sendText("x", to: "+4915100000003", channel: "bad")
                let good = try await d.sendText("y", to: "+4915100000004", channel: "good")
                try await d.waitFor(good, in: [.sent])
                #expect(try await eventually { try await d.channels().channels.first { $0.name == "bad" }?.paused == true })
                let doc = try await d.channels()
                let badStatus = try #require(doc.channels.first { $0.name == "bad" })
                #expect(badStatus.pauseReason?.contains("401") == true)
                #expect(doc.channels.first { $0.name == "good" }?.paused == false)
                let m = try await d.waitFor(bad, in: [.queued])
                #expect(m.attempts?.map(\.outcome) == [.channelError])
                // More work for the paused channel waits; the other channel keeps sending.
                let bad2 = try await d.sendText("z", to: "+4915100000005", channel: "bad")
                let good2 = try await d.sendText("w", to: "+4915100000006", channel: "good")
                try await d.waitFor(good2, in: [.sent])
                #expect(try await d.message(bad2).state == .queued)
                #expect(!String(decoding: try await d.get("/v1/channels").body, as: UTF8.self).contains("wrong"))
            }
        }
    }

    @Test("the throughput limit holds: no one-second window over messages_per_second")
    func throughputLimit() async throws {
        try await withSandbox { _, url in
            let config = testConfig(dir: dir, baseURL: url, channels: [TestChannel("main", messagesPerSecond: 40)])
            try await withDaemon(config, dir: dir) { d in
                let lines = (0..<100).map { #"{"channel":"main","to":"+49151001\#(10000 + $0)","message":{"type":"text","text":{"body":"t"}}}"# }
                let (_, body) = try await d.post("/v1/messages/batch", json: lines.joined(separator: "\n"))
                let ids = try JSONDecoder().decode(BatchResponse.self, from: Data(body)).results.compactMap(\.id)
                for id in ids { try await d.waitFor(id, in: [.sent], timeoutSeconds: 15) }
                let starts = try await d.daemon.store.attemptCounts(sinceMillis: 0).map(\.at).sorted()
                #expect(starts.count == 100)
                var lo = 0
                var worst = 0
                for hi in starts.indices {
                    while starts[hi] - starts[lo] >= 1000 { lo += 1 }
                    worst = max(worst, hi - lo + 1)
                }
                #expect(worst <= 40)
                // ... and not stuck far below it: 100 messages take about 2.5 s at 40/s. The bound
                // only catches a pacer gone to about 1/s (100 s): the suite runs in parallel on a
                // shared 2-core machine, where 15 s was once exceeded; the rate itself is measured
                // by `scripts/bench --only dispatch-one`, not here.
                #expect(starts.last! - starts.first! < 50_000)
            }
        }
    }

    @Test("an On-Premise channel posts to /v1/messages with the wa_id")
    func onPremise() async throws {
        try await withSandbox { sandbox, url in
            let config = testConfig(dir: dir, baseURL: url, channels: [TestChannel("legacy", api: .onpremise)])
            try await withDaemon(config, dir: dir) { d in
                let id = try await d.sendText("x", to: "+4915100000007", channel: "legacy")
                let m = try await d.waitFor(id, in: [.sent])
                #expect(m.wamid != nil)
                #expect(sandbox.state.received().first?.api == "onpremise")
            }
        }
    }

    @Test("graceful shutdown leaves nothing in sending and loses nothing")
    func gracefulShutdown() async throws {
        let faults = SandboxFaults(slowRate: 1, slowMillis: 200)
        try await withSandbox(faults: faults) { sandbox, url in
            let config = testConfig(dir: dir, baseURL: url)
            let ids: [String] = try await withDaemon(config, dir: dir) { d in
                let lines = (0..<200).map { #"{"channel":"main","to":"+49151002\#(10000 + $0)","message":{"type":"text","text":{"body":"g"}}}"# }
                let (_, body) = try await d.post("/v1/messages/batch", json: lines.joined(separator: "\n"))
                let ids = try JSONDecoder().decode(BatchResponse.self, from: Data(body)).results.compactMap(\.id)
                // Stop while requests are in flight.
                _ = try await eventually { !sandbox.state.received().isEmpty || sandbox.state.requestCount() > 0 }
                return ids
            }
            // After the stop: every message is queued or sent, none sending; sent ones reached the sandbox once.
            let store = try SQLiteOutboxStore.reopen(config.databasePath)
            var sent = 0
            for id in ids {
                let t = try #require(try await store.timeline(id: Int64(id)!))
                #expect(t.message.state == .queued || t.message.state == .sent)
                if t.message.state == .sent { sent += 1 }
            }
            #expect(sent == sandbox.state.received().count)
            #expect(sent > 0)
        }
    }
}
