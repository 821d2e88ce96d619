import Foundation
import GRDB
import OutboxAPI

extension Bench {
    /// One channel at 1,000 mps while the daemon reloads its config five times (SIGHUP, each
    /// changing the channel's `messages_per_second` by one): nothing may be lost or sent twice,
    /// and the longest pause between two requests around a reload must stay under 100 ms.
    func reloadUnderLoad() async throws -> ResultRow {
        guard let pid = daemon?.processIdentifier else { throw BenchError("the daemon is not running") }
        let n = scale.pacedMessages
        let offset = 80_000_000
        let acceptedBefore = try await sandboxAccepted()
        try await submitAll(lines(count: n, channel: "paced", offset: offset, notBefore: nil))
        try await waitFor { try await self.sandboxAccepted() > acceptedBefore }
        // Five reloads spread over the run (about n / 1,000 seconds at 1,000 mps).
        let spacing = max(0.2, Double(n) / 1000 / 7)
        var reloads: [(at: Int64, appliedMillis: Double)] = []
        for i in 0..<5 {
            try await Task.sleep(nanoseconds: UInt64(spacing * 1e9))
            let mps = i % 2 == 0 ? 999 : 1000
            try setPacedRate(mps)
            let sent = Date()
            kill(pid, SIGHUP)
            try await waitFor(timeout: 10) { try await self.pacedLimit() == mps }
            reloads.append((Int64(sent.timeIntervalSince1970 * 1000), Date().timeIntervalSince(sent) * 1000))
        }
        try await waitUntilDrained(channels: ["paced"], timeout: Double(n) / 1000 * 3 + 30)
        try setPacedRate(1000)
        kill(pid, SIGHUP)

        // Lost or doubled: the sandbox's count, the final states, one accepted attempt per message.
        let received = try await sandboxAccepted() - acceptedBefore
        let low = String(format: "+49151%08d", offset), high = String(format: "+49151%08d", offset + n - 1)
        let (sent, accepted, starts) = try await database().read { db -> (Int, Int, [Int64]) in
            let sent = try Int.fetchOne(db, sql: "SELECT count(*) FROM messages WHERE channel = 'paced' AND recipient BETWEEN ? AND ? AND state = 'sent'", arguments: [low, high]) ?? 0
            let rows = try Row.fetchAll(db, sql: """
                SELECT a.at, a.outcome FROM attempts a JOIN messages m ON m.id = a.message_id
                WHERE m.channel = 'paced' AND m.recipient BETWEEN ? AND ? ORDER BY a.at
                """, arguments: [low, high])
            return (sent, rows.filter { ($0["outcome"] as String) == "accepted" }.count, rows.map { $0["at"] as Int64 })
        }
        let lost = n - sent
        let doubled = max(0, received - n) + max(0, accepted - n)

        // Gaps between consecutive request starts: from 50 ms before to 300 ms after each SIGHUP, and elsewhere.
        var aroundMax: Int64 = 0, elsewhereMax: Int64 = 0
        var elsewhere: [Int64] = []
        for (a, b) in zip(starts, starts.dropFirst()) {
            let gap = b - a
            if reloads.contains(where: { b >= $0.at - 50 && a <= $0.at + 300 }) {
                aroundMax = max(aroundMax, gap)
            } else {
                elsewhereMax = max(elsewhereMax, gap)
                elsewhere.append(gap)
            }
        }
        elsewhere.sort()
        let p99 = elsewhere.isEmpty ? 0 : elsewhere[min(elsewhere.count - 1, elsewhere.count * 99 / 100)]
        let seconds = Double((starts.last ?? 0) - (starts.first ?? 0)) / 1000
        let apply = reloads.map(\.appliedMillis).max() ?? 0
        return ResultRow(
            figure: "reload under load: 5 SIGHUPs, one channel at 1,000 mps",
            value: "\(n) submitted, \(received) received, \(sent) sent, lost \(lost), doubled \(doubled); largest gap between requests around the reloads \(aroundMax) ms "
                + "(\(fmt(Double(n - 1) / max(seconds, 0.001), 1)) mps overall; reload in force after at most \(fmt(apply)) ms)",
            target: "lost 0, gap < 100 ms",
            ceiling: "without a reload: largest gap \(elsewhereMax) ms, p99 \(p99) ms",
            pass: lost == 0 && doubled == 0 && received == n && aroundMax < 100)
    }

    /// Rewrites the `paced` channel's `messages_per_second` in the daemon's config file.
    func setPacedRate(_ mps: Int) throws {
        let path = "\(dir)/wa-outbox.toml"
        let toml = try String(contentsOfFile: path, encoding: .utf8)
        guard let range = toml.range(of: #"api_key_file = "paced.key"\nmessages_per_second = \d+"#, options: .regularExpression) else {
            throw BenchError("the paced channel's messages_per_second is not in \(path)")
        }
        try toml.replacingCharacters(in: range, with: "api_key_file = \"paced.key\"\nmessages_per_second = \(mps)")
            .write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// The limit in force on the `paced` channel, as `/v1/channels` reports it.
    func pacedLimit() async throws -> Int? {
        let (_, body) = try await socket(.GET, "/v1/channels")
        return try JSONDecoder().decode(ChannelsDocument.self, from: Data(body)).channels.first { $0.name == "paced" }?.limitMps
    }

    /// Requests the sandbox answered 2xx since it started.
    func sandboxAccepted() async throws -> Int {
        let (_, body) = try await get("http://127.0.0.1:\(sandboxPort)/sandbox/stats")
        guard let json = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any], let accepted = json["accepted"] as? Int else {
            throw BenchError("unreadable /sandbox/stats")
        }
        return accepted
    }
}
