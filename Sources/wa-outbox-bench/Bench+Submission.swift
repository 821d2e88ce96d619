import Foundation
import GRDB
import NIOCore
import NIOHTTP1
import OutboxAPI
import OutboxCore

extension Bench {
    /// A `not_before` that keeps benchmark submissions queued: 300 days ahead, inside the
    /// 366-day horizon the daemon accepts.
    static let parked = RFC3339.format(millis: (Int64(Date().timeIntervalSince1970) + 300 * 86_400) * 1000)

    /// NDJSON lines for `count` text messages to distinct recipients.
    func lines(count: Int, channel: String, offset: Int, notBefore: String? = Bench.parked) -> [String] {
        (0..<count).map { i in
            let n = offset + i
            let nb = notBefore.map { #","not_before":"\#($0)""# } ?? ""
            return #"{"channel":"\#(channel)","to":"+49151\#(String(format: "%08d", n))","message":{"type":"text","text":{"body":"Your order \#(n) has shipped"}}\#(nb)}"#
        }
    }

    func submissions() async throws -> [ResultRow] {
        // Batched: 8 clients, batches of 1,000.
        let batchCount = scale.batchedMessages / 1000
        let bodies = (0..<batchCount).map { Array(lines(count: 1000, channel: "idle", offset: $0 * 1000).joined(separator: "\n").utf8) }
        let next = Counter()
        let start = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    while let i = next.take(below: batchCount) {
                        let (status, body) = try await self.socket(.POST, "/v1/messages/batch", body: bodies[i])
                        let r = try JSONDecoder().decode(BatchResponse.self, from: Data(body))
                        guard status == 200, r.accepted == 1000 else { throw BenchError("batch refused: \(status)") }
                    }
                }
            }
            try await group.waitForAll()
        }
        let batchedRate = Double(batchCount * 1000) / Date().timeIntervalSince(start)
        let rawRate = try rawSQLiteInserts(rows: batchCount * 1000)

        // One message per request, 16 clients, as fast as they go.
        let closed = try await singleRequests(clients: 16, seconds: scale.singleSeconds, perClientRate: nil, offset: 10_000_000)
        // One message per request at 1,000/s in all.
        let paced = try await singleRequests(clients: 16, seconds: scale.singleSeconds, perClientRate: 1000.0 / 16, offset: 20_000_000)
        return [
            ResultRow(figure: "durable submissions, batched (8 clients x 1,000)", value: "\(fmt(batchedRate)) msg/s", target: ">= 20,000 msg/s",
                ceiling: "raw SQLite inserts, same rows, FULL sync: \(fmt(rawRate)) rows/s (ratio \(fmt(batchedRate / rawRate, 2)))", pass: batchedRate >= 20_000),
            ResultRow(figure: "durable submission, one per request (16 clients)", value: "\(fmt(closed.rate)) msg/s, p50 \(fmt(closed.p50, 2)) ms, p99 \(fmt(closed.p99, 2)) ms",
                target: ">= 5,000 msg/s, p99 <= 10 ms", ceiling: "-", pass: closed.rate >= 5_000 && closed.p99 <= 10),
            ResultRow(figure: "one per request at 1,000/s", value: "\(fmt(paced.rate)) msg/s, p50 \(fmt(paced.p50, 2)) ms, p99 \(fmt(paced.p99, 2)) ms",
                target: "p99 <= 10 ms", ceiling: "-", pass: paced.p99 <= 10),
        ]
    }

    /// The same rows into a bare table (no indexes) with the same durability: the ceiling.
    func rawSQLiteInserts(rows: Int) throws -> Double {
        let path = "\(dir)/raw.db"
        let db = try DatabaseQueue(path: path)
        try db.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: """
                CREATE TABLE t (channel TEXT, recipient TEXT, type TEXT, payload TEXT, priority INTEGER, state TEXT,
                                created_at INTEGER, updated_at INTEGER, due_at INTEGER)
                """)
        }
        let start = Date()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for batch in 0..<(rows / 1000) {
            try db.write { db in
                let stmt = try db.cachedStatement(sql: "INSERT INTO t VALUES (?, ?, 'text', ?, 1, 'queued', ?, ?, ?)")
                for i in 0..<1000 {
                    let n = batch * 1000 + i
                    try stmt.execute(arguments: ["idle", "+49151\(String(format: "%08d", n))",
                                                 #"{"text":{"body":"Your order \#(n) has shipped"},"type":"text"}"#, now, now, now])
                }
            }
        }
        let rate = Double(rows) / Date().timeIntervalSince(start)
        try? FileManager.default.removeItem(atPath: path)
        return rate
    }

    struct LatencyResult {
        var rate: Double
        var p50: Double
        var p99: Double
    }

    /// `clients` tasks each submitting one message per request for `seconds`, optionally paced.
    func singleRequests(clients: Int, seconds: Double, perClientRate: Double?, offset: Int) async throws -> LatencyResult {
        let start = Date()
        let deadline = start.addingTimeInterval(seconds)
        let all = try await withThrowingTaskGroup(of: [Double].self) { group in
            for c in 0..<clients {
                group.addTask {
                    var latencies: [Double] = []
                    var n = 0
                    while Date() < deadline {
                        if let rate = perClientRate {
                            let due = start.addingTimeInterval(Double(n) / rate)
                            let wait = due.timeIntervalSinceNow
                            if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
                        }
                        let line = self.lines(count: 1, channel: "idle", offset: offset + c * 1_000_000 + n)[0]
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        let (status, _) = try await self.socket(.POST, "/v1/messages", body: Array(line.utf8))
                        guard status == 202 else { throw BenchError("submission refused: \(status)") }
                        latencies.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                        n += 1
                    }
                    return latencies
                }
            }
            var all: [Double] = []
            for try await l in group { all += l }
            return all
        }
        let sorted = all.sorted()
        return LatencyResult(rate: Double(all.count) / Date().timeIntervalSince(start), p50: percentile(sorted, 50), p99: percentile(sorted, 99))
    }
}

/// Hands out indices to concurrent workers.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func take(below limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}
