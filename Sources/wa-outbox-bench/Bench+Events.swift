import Foundation
import NIOHTTP1

extension Bench {
    /// The event log's figures: how fast one long-polling consumer reads it, how fast one
    /// subscriber gets it (one event per POST, and batches of 100), and the subscribers' lag
    /// at 1,000 messages/s with sent, delivered and read statuses for each (the sandbox
    /// delivers them to the daemon's webhook receiver).
    func events() async throws -> [ResultRow] {
        // A log to read: 50,000 scheduled messages (one `accepted` each), unless earlier phases left more.
        try await submitAll(lines(count: 50_000, channel: "sched", offset: 90_000_000, notBefore: Bench.parked))

        // 1. One consumer, pages of 1,000, from the oldest event.
        var after = "0"
        var read = 0
        let start = Date()
        while true {
            let (status, body) = try await socket(.GET, "/v1/events?after=\(after)&limit=1000&wait=0")
            guard status == 200, let page = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
                  let events = page["events"] as? [Any], let next = page["next_cursor"] as? String else { throw BenchError("events answered \(status)") }
            read += events.count
            after = next
            if events.count < 1000 { break }
        }
        let feedRate = Double(read) / Date().timeIntervalSince(start)

        // 2. Subscribers: the daemon again, with two subscribers pointing at the bench's sink.
        let sinkPort = webhookPort + 300 + Int.random(in: 0..<50)
        let evtPort = sandboxPort + 600
        let sink = EventSink()
        let stopSink = await sink.start(port: sinkPort)
        FileManager.default.createFile(atPath: "\(dir)/sink.secret", contents: Data("whsec_YmVuY2gtc2VjcmV0".utf8), attributes: [.posixPermissions: 0o600])
        FileManager.default.createFile(atPath: "\(dir)/evt.key", contents: Data("key-evt".utf8), attributes: [.posixPermissions: 0o600])
        let evtSandbox = try spawn(["sandbox", "--listen", "127.0.0.1:\(evtPort)", "--no-bodies", "--webhook", "key-evt=http://127.0.0.1:\(webhookPort)/webhooks/evt"],
                                   log: "sandbox-evt.log")
        defer { kill(evtSandbox.processIdentifier, SIGTERM) }
        try await waitFor { (try? await self.get("http://127.0.0.1:\(evtPort)/sandbox/stats").0) == 200 }
        await stopDaemon()
        var toml = try String(contentsOfFile: "\(dir)/wa-outbox.toml", encoding: .utf8)
        toml += "\n[[channels]]\nname = \"evt\"\nbase_url = \"http://127.0.0.1:\(evtPort)\"\napi_key_file = \"evt.key\"\nmessages_per_second = 1000\nenforce_window = false\npair_interval = \"0s\"\n"
        for (name, batch) in [("single", 1), ("batched", 100)] {
            toml += "\n[[subscribers]]\nname = \"\(name)\"\nurl = \"http://127.0.0.1:\(sinkPort)/\(name)\"\nsecret_file = \"sink.secret\"\nbatch_size = \(batch)\n"
        }
        try toml.write(toFile: "\(dir)/wa-outbox.toml", atomically: true, encoding: .utf8)
        try await startDaemon()
        var rates: [String: Double] = [:]
        for name in ["single", "batched"] {
            let (_, newestBody) = try await socket(.GET, "/v1/subscribers")
            let doc = try JSONSerialization.jsonObject(with: Data(newestBody)) as? [String: Any]
            let newest = Int64(((doc?["subscribers"] as? [[String: Any]])?.first?["newest_cursor"] as? String) ?? "0") ?? 0
            let before = sink.snapshot.received["/\(name)"] ?? 0
            let t0 = Date()
            let (status, _) = try await socket(.POST, "/v1/subscribers/\(name)/replay", body: Array(#"{"from":"0"}"#.utf8))
            guard status == 200 else { throw BenchError("replay answered \(status)") }
            try await waitFor(timeout: 600) { (sink.snapshot.lastCursor["/\(name)"] ?? 0) >= newest }
            rates[name] = Double((sink.snapshot.received["/\(name)"] ?? 0) - before) / Date().timeIntervalSince(t0)
        }

        // 3. Lag at 1,000 messages/s, each with its sent, delivered and read statuses.
        let n = scale.pacedMessages
        sink.setRecordLag(true)
        try await submitAll(lines(count: n, channel: "evt", offset: 95_000_000, notBefore: nil))
        try await waitUntilDrained(channels: ["evt"], timeout: Double(n) / 1000 * 3 + 30)
        try await Task.sleep(for: .seconds(3))  // the last statuses arrive after the last send
        let (_, subsBody) = try await socket(.GET, "/v1/subscribers")
        let subs = (try JSONSerialization.jsonObject(with: Data(subsBody)) as? [String: Any])?["subscribers"] as? [[String: Any]] ?? []
        let newest = Int64((subs.first?["newest_cursor"] as? String) ?? "0") ?? 0
        try await waitFor(timeout: 300) { ["single", "batched"].allSatisfy { (sink.snapshot.lastCursor["/\($0)"] ?? 0) >= newest } }
        let lags = sink.snapshot.lags.mapValues { $0.sorted() }
        sink.setRecordLag(false)
        await stopSink()
        func lag(_ name: String) -> String {
            let l = lags["/\(name)"] ?? []
            return "p50 \(fmt(percentile(l, 50), 1)) ms, p99 \(fmt(percentile(l, 99), 1)) ms over \(l.count) events"
        }
        return [
            ResultRow(figure: "event feed, one consumer (GET /v1/events, pages of 1,000)", value: "\(fmt(feedRate)) events/s over \(read) events",
                      target: "-", ceiling: "-", pass: nil),
            ResultRow(figure: "subscriber, one event per POST (replay from 0)", value: "\(fmt(rates["single"] ?? 0)) events/s", target: "-", ceiling: "-", pass: nil),
            ResultRow(figure: "subscriber, batches of 100 (replay from 0)", value: "\(fmt(rates["batched"] ?? 0)) events/s", target: "-", ceiling: "-", pass: nil),
            ResultRow(figure: "subscriber lag at 1,000 msg/s + 3 statuses each, one per POST", value: lag("single"), target: "-", ceiling: "-", pass: nil),
            ResultRow(figure: "subscriber lag at 1,000 msg/s + 3 statuses each, batches of 100", value: lag("batched"), target: "-", ceiling: "-", pass: nil),
        ]
    }
}
