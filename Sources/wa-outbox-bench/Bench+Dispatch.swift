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
            let (status, answer) = try await socket(.POST, "/v1/messages/batch", body: body)
            guard status == 200 else { throw BenchError("batch refused: \(status)") }
            // A bench that measures nothing must say so: every line of a bench batch is valid.
            let doc = try JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any]
            if let rejected = doc?["rejected"] as? Int, rejected > 0 {
                throw BenchError("batch: \(rejected) lines rejected: \(String(decoding: answer.prefix(300), as: UTF8.self))")
            }
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

    /// One channel with a backlog at 80, 200 and 1,000 mps, measured where the API counts:
    /// the sandbox's arrivals (each request stamped when its head is read), in exact sliding
    /// seconds, beside the daemon's own log of starts. The sandbox's limit is off, so nothing
    /// is refused and nothing slows down.
    func dispatchOneChannel() async throws -> [ResultRow] {
        var rows: [ResultRow] = []
        for (channel, rate) in Self.pacedChannels {
            let n = rate * scale.pacedSeconds
            _ = try await request(.POST, "http://127.0.0.1:\(sandboxPort)/sandbox/reset", body: [])
            let before = try attempts(channels: [channel]).count
            try await submitAll(lines(count: n, channel: channel, offset: 50_000_000 + rate * 100_000, notBefore: nil))
            try await waitUntilDrained(channels: [channel], timeout: Double(n) / Double(rate) * 3 + 30)
            let starts = Array(try attempts(channels: [channel]).map(\.at).dropFirst(before))
            let (_, body) = try await get("http://127.0.0.1:\(sandboxPort)/sandbox/stats?over=\(rate)")
            let stats = try JSONDecoder().decode(SandboxStatsView.self, from: Data(body))
            guard let key = stats.keys.first else { throw BenchError("the sandbox saw no traffic from \(channel)") }
            // Sends per second over the whole seconds from the first send: the rate a client sees.
            // (Dividing n - 1 by the span reads high, since the last partial second is cut off.)
            let wholeSeconds = max(1, (starts.last! - starts.first!) / 1000)
            let average = Double(starts.filter { $0 < starts.first! + wholeSeconds * 1000 }.count) / Double(wholeSeconds)
            let windowsOver = key.windowsOver ?? 0
            rows.append(ResultRow(
                figure: "one channel at \(rate) mps, \(n) messages",
                value: "busiest sliding 1 s at the sandbox \(key.busiestArrivalSecond), windows over \(windowsOver); average \(fmt(average, 1)) mps; daemon's start log: busiest 1 s \(Self.busiest(starts))",
                target: "busiest <= \(rate), 0 windows over, average >= \(fmt(Double(rate) * 0.98, 1))",
                ceiling: "arrivals counted at the sandbox (head read); limit off",
                pass: key.busiestArrivalSecond <= rate && windowsOver == 0 && average >= Double(rate) * 0.98))
        }
        return rows
    }

    /// The paced channels of the one-channel run, with their rates.
    static let pacedChannels = [("paced80", 80), ("paced200", 200), ("paced", 1000)]

    /// Most of `times` (milliseconds, ascending) in any window (t - 1 s, t].
    static func busiest(_ times: [Int64]) -> Int {
        var worst = 0
        var lo = 0
        for hi in times.indices {
            while times[hi] - times[lo] >= 1000 { lo += 1 }
            worst = max(worst, hi - lo + 1)
        }
        return worst
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
        let histogramsBefore = (answer: try await histogram("wa_outbox_answer_to_commit_seconds"), commit: try await histogram("wa_outbox_submit_commit_seconds"))
        let (daemonBefore, sandboxBefore) = (daemonCPU(), sandboxCPU())
        try await submitAll(interleaved)
        try await waitUntilDrained(channels: Set(Self.channels), timeout: 300)
        let (daemonUsed, sandboxUsed) = (daemonCPU() - daemonBefore, sandboxCPU() - sandboxBefore)
        let answerToCommit = try await answerToCommitRow(before: histogramsBefore)
        let rssAfter = daemonRSS()
        let recorded = try attempts(channels: Self.channels)
        let accepted = recorded.filter { $0.outcome == "accepted" }.count
        let seconds = Double(recorded.last!.at - recorded.first!.at) / 1000
        let rate = Double(recorded.count) / seconds
        let rawSandboxAfter = sandboxCPU()
        let rawAfter = try await rawHTTP(count: rawCount, concurrency: 64, offset: rawCount)
        rawSandboxUsed += sandboxCPU() - rawSandboxAfter
        let raw = 2 / (1 / rawBefore.rate + 1 / rawAfter.rate)
        let rawLoadCPU = (rawBefore.cpuSeconds + rawAfter.cpuSeconds) / Double(rawBefore.ops + rawAfter.ops) * 1e6
        let sends = Double(recorded.count)
        return [
            ResultRow(figure: "dispatch, aggregate of 10 unlimited channels", value: "\(fmt(rate)) sends/s; \(accepted)/\(per * Self.channels.count) attempts recorded",
                target: ">= 5,000 sends/s, ratio >= 0.6", ceiling: "raw HTTP load, same sandbox and bodies, keep-alive: \(fmt(raw)) req/s (\(fmt(rawBefore.rate)) before, \(fmt(rawAfter.rate)) after; ratio \(fmt(rate / raw, 2))); its load generators: \(rawBefore.processes) processes, \(fmt(rawLoadCPU, 1)) us CPU per request",
                pass: rate >= 5_000 && rate / raw >= 0.6 && accepted == per * Self.channels.count),
            ResultRow(figure: "CPU per send in the aggregate run", value: "daemon (with its submission) \(fmt(daemonUsed / sends * 1e6)) us, sandbox \(fmt(sandboxUsed / sends * 1e6)) us",
                      target: "-", ceiling: "sandbox under the raw load: \(fmt(rawSandboxUsed / Double(2 * rawCount) * 1e6)) us per request", pass: nil),
            ResultRow(figure: "daemon RSS around the aggregate run", value: "\(fmt(rssBefore, 1)) MiB before, \(fmt(rssAfter, 1)) MiB after", target: "-", ceiling: "-", pass: nil),
            answerToCommit,
        ]
    }

    /// The ceiling: the same Cloud bodies posted straight at the sandbox, keep-alive, 64 at a
    /// time from 4 load-generator processes (`load`).
    func rawHTTP(count: Int, concurrency: Int, offset: Int = 0) async throws -> LoadRun {
        let processes = 4
        try FileManager.default.createDirectory(atPath: "\(dir)/load", withIntermediateDirectories: true)
        let bodiesFile = "\(dir)/load/raw-\(offset).ndjson"
        let bodies = (0..<count).map { n in
            let i = offset + n
            return #"{"messaging_product":"whatsapp","recipient_type":"individual","to":"+49153\#(String(format: "%08d", i))","biz_opaque_callback_data":"wao:bench:\#(i)","text":{"body":"Your order \#(i) has shipped"},"type":"text"}"#
        }
        try bodies.joined(separator: "\n").write(toFile: bodiesFile, atomically: true, encoding: .utf8)
        return try await load(LoadSpec(kind: .posts, worker: 0, workers: 1, clients: max(1, concurrency / processes), startAt: 0,
                                       url: "http://127.0.0.1:\(sandboxPort)/messages", count: count, bodiesFile: bodiesFile,
                                       headers: [["D360-API-KEY", "raw"], ["Content-Type", "application/json"]]),
                              processes: processes, log: "raw-\(offset)")
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

/// The part of the sandbox's `GET /sandbox/stats` the bench reads.
struct SandboxStatsView: Decodable {
    struct Key: Decodable {
        var busiestArrivalSecond: Int
        var windowsOver: Int?
        enum CodingKeys: String, CodingKey { case busiestArrivalSecond = "busiest_arrival_second", windowsOver = "windows_over" }
    }
    var keys: [Key]
}
