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
        Self.submissionLines(count: count, channel: channel, offset: offset, notBefore: notBefore)
    }

    /// `lines(count:channel:offset:notBefore:)`, for the load-generator processes too.
    static func submissionLines(count: Int, channel: String, offset: Int, notBefore: String? = Bench.parked) -> [String] {
        (0..<count).map { i in
            let n = offset + i
            let nb = notBefore.map { #","not_before":"\#($0)""# } ?? ""
            return #"{"channel":"\#(channel)","to":"+49151\#(String(format: "%08d", n))","message":{"type":"text","text":{"body":"Your order \#(n) has shipped"}}\#(nb)}"#
        }
    }

    /// Batched, one per request, and one per request at 1,000/s, each from 4 load-generator
    /// processes (`load`), whose CPU per request stands beside the figure.
    func submissions() async throws -> [ResultRow] {
        // Batched: 8 clients (4 processes x 2), batches of 1,000.
        let batchCount = scale.batchedMessages / 1000
        func lastID() throws -> Int64 {
            let db = try database()
            defer { try? db.close() }
            return try db.read { try Int64.fetchOne($0, sql: "SELECT coalesce(max(id), 0) FROM messages") ?? 0 }
        }
        let before = try lastID()
        let batchedCPU0 = daemonCPU()
        let batched = try await load(LoadSpec(kind: .batches, worker: 0, workers: 1, clients: 2, startAt: 0, socket: socketPath, count: batchCount),
                                     processes: 4, log: "batched")
        let batchedRate = Double(batched.ops * 1000) / batched.seconds
        let batchedDaemon = (daemonCPU() - batchedCPU0) / Double(max(batched.ops * 1000, 1)) * 1e6
        let rawRate = try rawSQLiteInserts(rows: batchCount * 1000)
        // The same stored rows into an empty outbox by sqlite3 alone: what the schema allows.
        let floor = try storeFloor(outbox: databasePath, filter: "id > \(before) AND id <= \(try lastID())", folder: dir, log: "submissions-floor")
        let floorRate = Double(floor.rows) / floor.measured.seconds

        // One message per request, 16 clients (4 processes x 4), as fast as they go; the
        // daemon's CPU per request beside the generators', so the two cores' budget shows:
        // at N requests/s both together need N x (daemon + generators) µs of CPU per second.
        var daemonCPU0 = daemonCPU()
        let closed = try await singleRequests(clients: 16, seconds: scale.singleSeconds, perClientRate: nil, offset: 10_000_000)
        let closedDaemon = (daemonCPU() - daemonCPU0) / Double(max(closed.ops, 1)) * 1e6
        // One message per request at 1,000/s in all.
        daemonCPU0 = daemonCPU()
        let paced = try await singleRequests(clients: 16, seconds: scale.singleSeconds, perClientRate: 1000.0 / 16, offset: 20_000_000)
        let pacedDaemon = (daemonCPU() - daemonCPU0) / Double(max(paced.ops, 1)) * 1e6
        return [
            ResultRow(figure: "durable submissions, batched (8 clients x 1,000)", value: "\(fmt(batchedRate)) msg/s", target: ">= 20,000 msg/s",
                ceiling: "raw SQLite inserts, same rows, FULL sync: \(fmt(rawRate)) rows/s (ratio \(fmt(batchedRate / rawRate, 2))); the stored rows into an empty outbox by sqlite3 alone (schema, accepted events, 1,000 per commit): \(fmt(floorRate)) rows/s, \(fmt(floor.measured.cpuSeconds / Double(floor.rows) * 1e6, 1)) us CPU per row (ratio \(fmt(batchedRate / floorRate, 2))); daemon \(fmt(batchedDaemon, 1)) us CPU per message; \(batched.cpuNote.replacingOccurrences(of: "per request", with: "per batch of 1,000"))",
                pass: batchedRate >= 20_000),
            ResultRow(figure: "durable submission, one per request (16 clients)", value: "\(fmt(closed.rate)) msg/s, p50 \(fmt(percentile(closed.latencies, 50), 2)) ms, p99 \(fmt(percentile(closed.latencies, 99), 2)) ms",
                target: ">= 5,000 msg/s, p99 <= 10 ms", ceiling: "daemon \(fmt(closedDaemon, 1)) us CPU per request; " + closed.cpuNote, pass: closed.rate >= 5_000 && percentile(closed.latencies, 99) <= 10),
            ResultRow(figure: "one per request at 1,000/s", value: "\(fmt(paced.rate)) msg/s, p50 \(fmt(percentile(paced.latencies, 50), 2)) ms, p99 \(fmt(percentile(paced.latencies, 99), 2)) ms",
                target: "p99 <= 10 ms", ceiling: "daemon \(fmt(pacedDaemon, 1)) us CPU per request; " + paced.cpuNote, pass: percentile(paced.latencies, 99) <= 10),
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

    /// `clients` clients in 4 load-generator processes, each submitting one message per
    /// request for `seconds`, optionally paced.
    func singleRequests(clients: Int, seconds: Double, perClientRate: Double?, offset: Int) async throws -> LoadRun {
        let processes = 4
        return try await load(LoadSpec(kind: .singles, worker: 0, workers: 1, clients: max(1, clients / processes), startAt: 0, socket: socketPath,
                                       offset: offset, seconds: seconds, perClientRate: perClientRate),
                              processes: processes, log: perClientRate == nil ? "singles" : "singles-paced")
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
