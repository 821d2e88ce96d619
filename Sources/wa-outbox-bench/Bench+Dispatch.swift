import AsyncHTTPClient
import Foundation
import GRDB
import NIOCore
import NIOHTTP1
import OutboxAPI

extension Bench {
    /// Submits `lines` in batches of 1,000 and returns when all are committed.
    func submitAll(_ lines: [String]) async throws {
        for start in stride(from: 0, to: lines.count, by: 1000) {
            let body = Array(lines[start..<min(lines.count, start + 1000)].joined(separator: "\n").utf8)
            let (status, _) = try await socket(.POST, "/v1/messages/batch", body: body)
            guard status == 200 else { throw BenchError("batch refused: \(status)") }
        }
    }

    /// Start times (ms) and outcomes of every attempt on these channels.
    func attempts(channels: [String]) throws -> [(at: Int64, outcome: String)] {
        let db = try database()
        return try db.read { db in
            try GRDB.Row.fetchAll(db, sql: "SELECT at, outcome FROM attempts WHERE channel IN (\(channels.map { "'\($0)'" }.joined(separator: ","))) ORDER BY at")
                .map { ($0["at"], $0["outcome"]) }
        }
    }

    func dispatchOneChannel() async throws -> [ResultRow] {
        let n = scale.pacedMessages
        try await submitAll(lines(count: n, channel: "paced", offset: 50_000_000, notBefore: nil))
        try await waitUntilDrained(channels: ["paced"], timeout: Double(n) / 1000 * 3 + 30)
        let starts = try attempts(channels: ["paced"]).map(\.at)
        // Sends per second over the whole seconds from the first send: the rate a client sees.
        // (Dividing n - 1 by the span reads up to 1 % high even when no one-second window
        // holds more than 1,000, since the last partial second is cut off.)
        let wholeSeconds = max(1, (starts.last! - starts.first!) / 1000)
        let rate = Double(starts.filter { $0 < starts.first! + wholeSeconds * 1000 }.count) / Double(wholeSeconds)
        var worst = 0
        var lo = 0
        for hi in starts.indices {
            while starts[hi] - starts[lo] >= 1000 { lo += 1 }
            worst = max(worst, hi - lo + 1)
        }
        let within = abs(rate - 1000) / 1000
        return [ResultRow(
            figure: "dispatch, one channel at 1,000 mps", value: "\(fmt(rate, 1)) mps over the first \(wholeSeconds) whole seconds of \(starts.count) sends; busiest 1 s window \(worst)",
            target: "1,000 +- 1 %, no window over 1,000", ceiling: "sandbox unlimited", pass: within <= 0.01 && worst <= 1000)]
    }

    func dispatchAggregate() async throws -> [ResultRow] {
        let per = scale.aggregatePerChannel
        var all: [String] = []
        for (c, name) in Self.channels.enumerated() { all += lines(count: per, channel: name, offset: 60_000_000 + c * 1_000_000, notBefore: nil) }
        // Interleave the channels so all start together.
        var interleaved: [String] = []
        for i in 0..<per { for c in 0..<Self.channels.count { interleaved.append(all[c * per + i]) } }
        let rssBefore = daemonRSS()
        // The ceiling is measured half before and half after the run, so a drift in the
        // machine's load during the run weighs on both sides alike.
        let rawCount = min(per * Self.channels.count, 20_000) / 2
        let rawSandboxBefore = sandboxCPU()
        let rawBefore = try await rawHTTP(count: rawCount, concurrency: 64)
        var rawSandboxUsed = sandboxCPU() - rawSandboxBefore
        // Sending starts while the batches are still coming in: CPU counts from before them.
        let (daemonBefore, sandboxBefore) = (daemonCPU(), sandboxCPU())
        try await submitAll(interleaved)
        try await waitUntilDrained(channels: Set(Self.channels), timeout: 300)
        let (daemonUsed, sandboxUsed) = (daemonCPU() - daemonBefore, sandboxCPU() - sandboxBefore)
        let rssAfter = daemonRSS()
        let recorded = try attempts(channels: Self.channels)
        let accepted = recorded.filter { $0.outcome == "accepted" }.count
        let seconds = Double(recorded.last!.at - recorded.first!.at) / 1000
        let rate = Double(recorded.count) / seconds
        let rawSandboxAfter = sandboxCPU()
        let rawAfter = try await rawHTTP(count: rawCount, concurrency: 64, offset: rawCount)
        rawSandboxUsed += sandboxCPU() - rawSandboxAfter
        let raw = 2 / (1 / rawBefore + 1 / rawAfter)
        let sends = Double(recorded.count)
        return [
            ResultRow(figure: "dispatch, aggregate of 10 unlimited channels", value: "\(fmt(rate)) sends/s; \(accepted)/\(per * Self.channels.count) attempts recorded",
                target: ">= 5,000 sends/s, ratio >= 0.6", ceiling: "raw HTTP load, same sandbox and bodies, keep-alive: \(fmt(raw)) req/s (\(fmt(rawBefore)) before, \(fmt(rawAfter)) after; ratio \(fmt(rate / raw, 2)))",
                pass: rate >= 5_000 && rate / raw >= 0.6 && accepted == per * Self.channels.count),
            ResultRow(figure: "CPU per send in the aggregate run", value: "daemon (with its submission) \(fmt(daemonUsed / sends * 1e6)) us, sandbox \(fmt(sandboxUsed / sends * 1e6)) us",
                      target: "-", ceiling: "sandbox under the raw load: \(fmt(rawSandboxUsed / Double(2 * rawCount) * 1e6)) us per request", pass: nil),
            ResultRow(figure: "daemon RSS around the aggregate run", value: "\(fmt(rssBefore, 1)) MiB before, \(fmt(rssAfter, 1)) MiB after", target: "-", ceiling: "-", pass: nil),
        ]
    }

    /// The ceiling: the same Cloud bodies posted straight at the sandbox, keep-alive, `concurrency` at a time.
    func rawHTTP(count: Int, concurrency: Int, offset: Int = 0) async throws -> Double {
        let next = Counter()
        let url = "http://127.0.0.1:\(sandboxPort)/messages"
        let start = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while let n = next.take(below: count) {
                        let i = offset + n
                        let body = #"{"messaging_product":"whatsapp","recipient_type":"individual","to":"+49153\#(String(format: "%08d", i))","biz_opaque_callback_data":"wao:bench:\#(i)","text":{"body":"Your order \#(i) has shipped"},"type":"text"}"#
                        let (status, _) = try await self.request(.POST, url, body: Array(body.utf8), headers: [("D360-API-KEY", "raw"), ("Content-Type", "application/json")])
                        guard status == 200 else { throw BenchError("sandbox answered \(status)") }
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(count) / Date().timeIntervalSince(start)
    }

    func memoryWithMillionQueued() async throws -> [ResultRow] {
        await stopDaemon()
        let n = scale.queuedRows
        let db = try DatabaseQueue(path: databasePath)
        let future: Int64 = 4_070_908_800_000
        try await db.write { db in
            try db.execute(sql: """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                INSERT INTO messages (channel, recipient, type, payload, priority, state, created_at, updated_at, due_at)
                SELECT 'idle', '+49152' || printf('%08d', i), 'text', '{"text":{"body":"queued ' || i || '"},"type":"text"}',
                       2, 'queued', ?, ?, ? FROM n
                """, arguments: [n, Int64(Date().timeIntervalSince1970 * 1000), Int64(Date().timeIntervalSince1970 * 1000), future])
        }
        try db.close()
        let ready = try await startDaemon()
        let rssReady = daemonRSS()
        let (_, body) = try await socket(.GET, "/v1/channels")
        let queued = (try JSONDecoder().decode(ChannelsDocument.self, from: Data(body))).channels.reduce(0) { $0 + $1.queued }
        // A burst of work on top: one channel sending while a million wait.
        try await submitAll(lines(count: 2_000, channel: "bulk0", offset: 70_000_000, notBefore: nil))
        try await waitUntilDrained(channels: ["bulk0"], timeout: 60)
        let rssBusy = daemonRSS()
        let rss = max(rssReady, rssBusy)
        return [ResultRow(
            figure: "daemon with \(queued) queued", value: "RSS \(fmt(rssReady, 1)) MiB ready, \(fmt(rssBusy, 1)) MiB while sending; ready in \(fmt(ready * 1000)) ms",
            target: "RSS <= 100 MB, ready <= 1 s", ceiling: "-", pass: rss <= 100 && ready <= 1)]
    }
}
