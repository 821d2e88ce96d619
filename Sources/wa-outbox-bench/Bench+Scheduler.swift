import Foundation
import GRDB
import NIOHTTP1
import OutboxAPI

extension Scale {
    /// Messages of the scheduler run (issue 3: 100,000 to 10,000 recipients, one holding 1,000).
    var schedulerMessages: Int { pacedMessages * 10 }
}

extension Bench {
    /// The scheduler under a campaign: `n` messages to 10,000 recipients on a channel at
    /// 1,000 mps with 6 s pair pacing, one recipient holding a tenth of... 1,000 of them at the
    /// head of the queue. Measures the channel's rate while work is available, the closest two
    /// requests to one recipient came, and how long a `high` message submitted mid-run waited.
    func scheduler() async throws -> [ResultRow] {
        let n = scale.schedulerMessages
        let recipients = 10_000
        let heavyCount = 1_000
        func line(_ i: Int, to r: Int, priority: String = "bulk") -> String {
            #"{"channel":"sched","to":"+49160\#(String(format: "%08d", r))","priority":"\#(priority)","message":{"type":"text","text":{"body":"Campaign message \#(i)"}}}"#
        }
        // The heavy recipient's messages first: a queue head that pacing holds for 100 minutes.
        var lines = (0..<heavyCount).map { line($0, to: 0) }
        lines += (heavyCount..<n).map { line($0, to: 1 + ($0 % (recipients - 1))) }
        // The sandbox keeps Meta's pair limit (6 s) too, and counts every request it would refuse.
        let sandboxURL = "http://127.0.0.1:\(sandboxPort)"
        _ = try await request(.PUT, "\(sandboxURL)/sandbox/rules", body: Array(#"{"pair_limit":true}"#.utf8))
        let violationsBefore = try await pairViolations()
        let submitStart = Date()
        try await submitAll(lines)
        let submitSeconds = Date().timeIntervalSince(submitStart)
        // A one-time code submitted mid-run, behind everything.
        try await Task.sleep(nanoseconds: UInt64(min(10.0, Double(n) / 1000 / 3) * 1e9))
        let high = #"{"channel":"sched","to":"+4917000000001","priority":"high","message":{"type":"text","text":{"body":"Your code is 123456"}}}"#
        let (status, body) = try await socket(.POST, "/v1/messages", body: Array(high.utf8))
        guard status == 202, let id = (try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["id"] as? String else {
            throw BenchError("high submission refused: \(status)")
        }
        // Everything but the heavy recipient's tail can go at the channel's rate.
        let expected = n - heavyCount + 1 + 1
        try await waitFor(timeout: Double(n) / 1000 * 3 + 60) {
            let db = try self.database()
            return try await db.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM attempts WHERE channel = 'sched'") ?? 0 } >= expected
        }
        let db = try database()
        let (starts, minGap, highWait) = try await db.read { db -> ([Int64], Int64?, Int64?) in
            let starts = try Int64.fetchAll(db, sql: "SELECT at FROM attempts WHERE channel = 'sched' ORDER BY at")
            let minGap = try Int64.fetchOne(db, sql: """
                SELECT min(gap) FROM (
                    SELECT a.at - lag(a.at) OVER (PARTITION BY m.recipient ORDER BY a.at) AS gap
                    FROM attempts a JOIN messages m ON m.id = a.message_id WHERE a.channel = 'sched')
                """)
            let highWait = try Int64.fetchOne(db, sql: """
                SELECT min(a.at) - m.created_at FROM attempts a JOIN messages m ON m.id = a.message_id WHERE m.id = ?
                """, arguments: [Int64(id)])
            return (starts, minGap, highWait)
        }
        // The rate over the stretch where the queue had work for every slot: up to the last
        // request before only the heavy recipient's tail was left.
        let bulkEnd = starts[min(starts.count - 1, expected - 1)]
        let inRun = starts.filter { $0 <= bulkEnd }
        let rate = Double(inRun.count - 1) / (Double(bulkEnd - inRun[0]) / 1000)
        var worst = 0
        var lo = 0
        for hi in inRun.indices {
            while inRun[hi] - inRun[lo] >= 1000 { lo += 1 }
            worst = max(worst, hi - lo + 1)
        }
        let violations = try await pairViolations() - violationsBefore
        _ = try await request(.PUT, "\(sandboxURL)/sandbox/rules", body: Array("{}".utf8))
        // Stop the heavy recipient's tail (one per 6 s for 100 minutes) so later phases run alone.
        let (_, listed) = try await socket(.GET, "/v1/messages?channel=sched&state=queued&limit=1000")
        for m in (try JSONDecoder().decode(ListPage.self, from: Data(listed))).messages {
            _ = try await socket(.DELETE, "/v1/messages/\(m.id)")
        }
        let gapOK = (minGap ?? .max) >= 6_000 && violations == 0
        return [
            ResultRow(
                figure: "scheduler: \(n) msgs to \(recipients) recipients (one with \(heavyCount)) at 1,000 mps",
                value: "\(fmt(rate, 1)) mps (\(fmt(rate / 10, 1)) %) over \(inRun.count) sends; busiest 1 s \(worst); submitted in \(fmt(submitSeconds, 1)) s",
                target: ">= 98 % of 1,000 mps", ceiling: "the channel's rate", pass: rate >= 980 && worst <= 1000),
            ResultRow(
                figure: "scheduler: closest two requests to one recipient", value: (minGap.map { "\(fmt(Double($0) / 1000, 3)) s" } ?? "-") + "; sandbox pair-limit refusals: \(violations)",
                target: ">= 6 s (pair_interval)", ceiling: "-", pass: gapOK),
            ResultRow(
                figure: "scheduler: a high message submitted mid-run", value: highWait.map { "left after \($0) ms" } ?? "never left",
                target: "<= 1 s", ceiling: "-", pass: (highWait ?? .max) <= 1_000),
        ]
    }

    /// Requests the sandbox refused with 131056, over all keys.
    func pairViolations() async throws -> Int {
        let (_, body) = try await get("http://127.0.0.1:\(sandboxPort)/sandbox/stats")
        return (try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["pair_violations"] as? Int ?? 0
    }
}
