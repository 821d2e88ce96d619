import Foundation
import OutboxAPI
import OutboxCore
import OutboxDaemon
import Sandbox
import Testing
import TestSupport

/// WhatsApp's rules kept before a request is spent, end to end.
@Suite("Scheduler rules")
struct SchedulerTests {
    let dir = TempDir()

    @Test("free-form text outside the 24-hour window is refused with 422; a template is not; an inbound message opens the window")
    func window() async throws {
        try await withSandbox { _, url in
            var c = testConfig(dir: dir, baseURL: url)
            c.channels[0].enforceWindow = true
            try await withDaemon(c, dir: dir) { d in
                let text = #"{"channel":"main","to":"+4915112345678","message":{"type":"text","text":{"body":"Hi"}}}"#
                let (s1, b1) = try await d.post("/v1/messages", json: text)
                #expect(s1 == 422)
                let e = try JSONDecoder().decode(APIErrorBody.self, from: Data(b1))
                #expect(e.error.code == .windowClosed)
                #expect(e.error.message.contains("template"))
                let template = #"{"channel":"main","to":"+4915112345678","message":{"type":"template","template":{"name":"hello","language":{"code":"en"}}}}"#
                #expect(try await d.post("/v1/messages", json: template).status == 202)
                // The customer writes
                let now = Int(Date().timeIntervalSince1970)
                #expect(try await d.post("/v1/inbound?channel=main", json: cloudInbound(from: "4915112345678", timestamp: now)).status == 200)
                _ = try await eventually { try await d.daemon.store.lastInbound(channel: "main", recipient: "+4915112345678") != nil }
                let (s2, b2) = try await d.post("/v1/messages", json: text)
                #expect(s2 == 202)
                let id = try JSONDecoder().decode(SubmitResponse.self, from: Data(b2)).id
                try await d.waitFor(id, in: [.sent])
                #expect(try await d.channels().channels[0].enforceWindow)
            }
        }
    }

    @Test("messages to one recipient leave in order, one per pacing interval, while others go ahead")
    func pacing() async throws {
        try await withSandbox { sandbox, url in
            var c = testConfig(dir: dir, baseURL: url)
            c.channels[0].rules.pairIntervalMillis = 1_000
            try await withDaemon(c, dir: dir) { d in
                // One batch, so all four are queued before the first claim.
                let lines = (0..<3).map { #"{"channel":"main","to":"+4915100000001","message":{"type":"text","text":{"body":"m\#($0)"}}}"# }
                    + [#"{"channel":"main","to":"+4915100000002","message":{"type":"text","text":{"body":"other"}}}"#]
                let (_, body) = try await d.post("/v1/messages/batch", json: lines.joined(separator: "\n"))
                var ids = try JSONDecoder().decode(BatchResponse.self, from: Data(body)).results.compactMap(\.id)
                let other = ids.removeLast()
                try await d.waitFor(other, in: [.sent])
                for id in ids { try await d.waitFor(id, in: [.sent]) }
                let mine = sandbox.state.received().filter { $0.to == "+4915100000001" }
                // Matched with the key: the callback data's random instance id may itself hold "m0".
                #expect(mine.map { $0.body.contains(#""body":"m0""#) ? 0 : $0.body.contains(#""body":"m1""#) ? 1 : 2 } == [0, 1, 2])
                // Request starts (the daemon's clock; arrival at the sandbox varies with load) are an interval apart.
                var starts: [Int64] = []
                for id in ids { starts.append(RFC3339.parse(try #require(try await d.message(id).attempts?.first?.at))!) }
                for (a, b) in zip(starts, starts.dropFirst()) { #expect(b - a >= 999) }
                let otherAt = try #require(sandbox.state.received().first { $0.to == "+4915100000002" }?.receivedAtMillis)
                // The other recipient was not held behind the paced one.
                #expect(otherAt < mine[1].receivedAtMillis)
            }
        }
    }

    @Test("a 131056 pair limit holds that recipient only, then it goes")
    func pairLimit() async throws {
        let faults = SandboxFaults(recipients: [RecipientFault(to: "+4915100000003", code: 131056, times: 1)])
        try await withSandbox(faults: faults) { _, url in
            var c = testConfig(dir: dir, baseURL: url)
            c.channels[0].rules.pairIntervalMillis = 0
            try await withDaemon(c, dir: dir) { d in
                let held = try await d.sendText("x", to: "+4915100000003")
                let free = try await d.sendText("y", to: "+4915100000004")
                try await d.waitFor(free, in: [.sent])
                let m = try await d.waitFor(held, in: [.sent])
                #expect(m.attempts?.map(\.outcome) == [.rateLimited, .accepted])
                #expect(m.attempts?.first?.errorCode == 131056)
            }
        }
    }

    @Test("a default time-to-live per priority expires what could not leave in time")
    func defaultTTL() async throws {
        var c = testConfig(dir: dir, baseURL: "http://127.0.0.1:9")
        c.defaultTTLMillis = [.high: 60_000]
        try await withDaemon(c, dir: dir) { d in
            let later = daysAhead(200)
            let id = try await d.sendText("code 1234", to: "+4915100000005", extra: #","priority":"high","not_before":"\#(later.text)""#)
            let m = try await d.message(id)
            #expect(m.expiresAt == RFC3339.format(millis: later.millis + 60_000))
        }
    }
}

/// The portfolio's messaging limit, end to end.
@Suite("Messaging limit")
struct MessagingLimitEndToEndTests {
    let dir = TempDir()

    @Test("when the portfolio's budget is used up, templates to new recipients wait (not fail); stats show use and limit")
    func budget() async throws {
        try await withSandbox { sandbox, url in
            var c = testConfig(dir: dir, baseURL: url, channels: [TestChannel("a", key: "key-a"), TestChannel("b", key: "key-b")])
            for i in c.channels.indices {
                c.channels[i].messagingLimit = MessagingLimit(portfolio: "acme", tier: 2, share: 1)
                c.channels[i].rules.pairIntervalMillis = 0
            }
            try await withDaemon(c, dir: dir) { d in
                func template(_ channel: String, _ to: String) -> String {
                    #"{"channel":"\#(channel)","to":"\#(to)","message":{"type":"template","template":{"name":"hello","language":{"code":"en"}}}}"#
                }
                var ids: [String] = []
                for (channel, to) in [("a", "+4915100000001"), ("b", "+4915100000002"), ("a", "+4915100000003"), ("b", "+4915100000001")] {
                    let (status, body) = try await d.post("/v1/messages", json: template(channel, to))
                    #expect(status == 202)
                    ids.append(try JSONDecoder().decode(SubmitResponse.self, from: Data(body)).id)
                    if ids.count == 2 { for id in ids { try await d.waitFor(id, in: [.sent]) } }
                }
                // The two channels share the portfolio: the third recipient waits; one already reached goes.
                try await d.waitFor(ids[3], in: [.sent])
                #expect(try await d.message(ids[2]).state == .queued)
                let doc = try await d.channels()
                #expect(doc.channels.map(\.tierUsed) == [2, 2])
                #expect(doc.channels.map(\.tierLimit) == [2, 2])
                #expect(doc.channels.map(\.portfolio) == ["acme", "acme"])
                let p = try #require(doc.portfolios?.first)
                #expect(p.name == "acme" && p.used == 2 && p.limit == 2 && p.budget == 2 && p.nextFreeAt != nil)
                #expect(p.channels == ["a", "b"])
                #expect(sandbox.state.received().count == 3)
            }
        }
    }
}

/// The sandbox keeps WhatsApp's rules too, so these tests see the daemon keep them.
@Suite("Scheduler against the sandbox's rules")
struct SandboxRulesEndToEndTests {
    let dir = TempDir()

    func text(_ body: String, to: String) -> String {
        #"{"channel":"main","to":"\#(to)","message":{"type":"text","text":{"body":"\#(body)"}}}"#
    }

    @Test("with pair pacing, the sandbox's pair limit never refuses a request")
    func pacingKeepsPairLimit() async throws {
        try await withSandbox(rules: SandboxRules(pairLimit: true, pairIntervalMillis: 800)) { sandbox, url in
            var c = testConfig(dir: dir, baseURL: url)
            // The same interval as the API's: pacing counts from the answer, so jitter cannot undercut it.
            c.channels[0].rules.pairIntervalMillis = 800
            try await withDaemon(c, dir: dir) { d in
                let lines = (0..<3).map { text("m\($0)", to: "+4915100000001") } + [text("other", to: "+4915100000002")]
                let (_, body) = try await d.post("/v1/messages/batch", json: lines.joined(separator: "\n"))
                for id in try JSONDecoder().decode(BatchResponse.self, from: Data(body)).results.compactMap(\.id) {
                    try await d.waitFor(id, in: [.sent])
                }
                let stats = sandbox.state.stats()
                #expect(stats.pairViolations == 0)
                #expect(stats.accepted == 4)
                #expect((stats.keys.first?.minPairGapMillis ?? 0) >= 800)
            }
        }
    }

    @Test("without pacing, the sandbox answers 131056; the daemon holds that recipient and sends later")
    func pairLimitAnswered() async throws {
        // 6 s (Meta's interval): under the full suite's load one request alone took 2.9 s, and
        // the second came 4.3 s after the first, past a 3 s interval.
        try await withSandbox(rules: SandboxRules(pairLimit: true, pairIntervalMillis: 6_000)) { sandbox, url in
            var c = testConfig(dir: dir, baseURL: url)
            c.channels[0].rules.pairIntervalMillis = 0
            try await withDaemon(c, dir: dir) { d in
                let (_, body) = try await d.post("/v1/messages/batch", json: [text("a", to: "+4915100000001"), text("b", to: "+4915100000001")].joined(separator: "\n"))
                let ids = try JSONDecoder().decode(BatchResponse.self, from: Data(body)).results.compactMap(\.id)
                for id in ids { try await d.waitFor(id, in: [.sent], timeoutSeconds: 60) }
                // Without pacing both requests may be in flight at once, so either may arrive second.
                var attempts: [AttemptDocument] = []
                for id in ids { attempts += try await d.message(id).attempts ?? [] }
                let seen = "attempts: \(attempts.map { "\($0.at) \($0.outcome) \($0.errorCode.map(String.init) ?? "-") \($0.latencyMs ?? -1) ms" }); closest pair at the sandbox: \(sandbox.state.stats().keys.first?.minPairGapMillis ?? -1) ms"
                #expect(sandbox.state.stats().pairViolations >= 1, "\(seen)")
                #expect(attempts.contains { $0.errorCode == 131056 && $0.outcome == .rateLimited }, "\(seen)")
            }
        }
    }

    @Test("when only the API judges the window, the sandbox's 131047 fails the message and closes the window locally")
    func windowRuleAnswered() async throws {
        try await withSandbox(rules: SandboxRules(windowRule: true)) { sandbox, url in
            let c = testConfig(dir: dir, baseURL: url)  // enforce_window = false: the API judges
            try await withDaemon(c, dir: dir) { d in
                let (_, body) = try await d.post("/v1/messages", json: text("hi", to: "+4915100000001"))
                let id = try JSONDecoder().decode(SubmitResponse.self, from: Data(body)).id
                let m = try await d.waitFor(id, in: [.failed])
                #expect(m.attempts?.first?.errorCode == 131047)
                #expect(sandbox.state.stats().windowViolations == 1)
                let facts = try await d.daemon.store.recipientFacts(channel: "main", recipient: "+4915100000001")
                #expect(facts?.windowClosed != nil)
            }
        }
    }
}
