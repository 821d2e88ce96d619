import Foundation
import GRDB
import NIOHTTP1

extension Bench {
    /// Enqueue → request on an idle channel: one message at a time, each to a new recipient,
    /// 20 a second (well under the channel's 80 mps), from the daemon's own clock: the time it
    /// accepted the submission (`created_at`) to the start of its request (`attempts.at`).
    /// Both are whole milliseconds, so the figures are too.
    func enqueueLatency() async throws -> [ResultRow] {
        let count = scale.pacedMessages / 15
        var ids: [Int64] = []
        for i in 0..<count {
            let body = #"{"channel":"idle","to":"+49161\#(String(format: "%08d", i))","message":{"type":"text","text":{"body":"Latency probe \#(i)"}}}"#
            let (status, answer) = try await socket(.POST, "/v1/messages", body: Array(body.utf8))
            guard status == 202, let id = ((try JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any])?["id"] as? String).flatMap(Int64.init) else {
                throw BenchError("submission refused: \(status)")
            }
            ids.append(id)
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        let list = ids.map(String.init).joined(separator: ",")
        try await waitFor(timeout: 60) {
            try await self.database().read { db in try Int.fetchOne(db, sql: "SELECT count(DISTINCT message_id) FROM attempts WHERE message_id IN (\(list))") } == count
        }
        let waits = try await database().read { db in
            try Int64.fetchAll(db, sql: """
                SELECT min(a.at) - m.created_at FROM attempts a JOIN messages m ON m.id = a.message_id
                WHERE m.id IN (\(list)) GROUP BY m.id
                """)
        }.map(Double.init).sorted()
        let p50 = percentile(waits, 50), p99 = percentile(waits, 99)
        return [ResultRow(
            figure: "enqueue -> request, idle channel", value: "p50 \(fmt(p50)) ms, p99 \(fmt(p99)) ms, max \(fmt(waits.last ?? .nan)) ms over \(count)",
            target: "p50 <= 2 ms, p99 <= 10 ms", ceiling: "daemon clock, whole ms", pass: p50 <= 2 && p99 <= 10)]
    }
}
