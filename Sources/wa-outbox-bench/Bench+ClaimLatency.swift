import Foundation
import OutboxCore
import OutboxStore
import OutboxStorePostgres

/// The claim's latency on each engine (issue 17): one claim of 50 due messages, timed in this
/// process against the store itself, on SQLite, on PostgreSQL with one claimer, and on
/// PostgreSQL with three claimers at once (three daemons' stores, a channel and a lease each,
/// every claim fenced by its token).
extension Bench {
    static let claimBatch = 50

    /// Submits `count` due messages on `channel`, then claims them 50 at a time; returns each claim's duration (µs).
    func timeClaims(_ store: any OutboxStore, channel: String, count: Int, fence: (String, Int64)?) async throws -> [Double] {
        var rules = RecipientRules()
        rules.enforceWindow = false
        rules.pairIntervalMillis = 0
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for start in stride(from: 0, to: count, by: 1_000) {
            let batch = try (start..<min(count, start + 1_000)).map { i in
                try Submission(channel: channel, to: "+49160\(String(format: "%07d", i))",
                               message: .object(["type": .string("text"), "text": .object(["body": .string("claim \(i)")])]), nowMillis: now)
            }
            _ = try await store.submit(batch, nowMillis: now)
        }
        var micros: [Double] = []
        while true {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let claimed: [ClaimedMessage]
            if let fence, let leased = store as? any LeaseStore {
                claimed = try await leased.claim(channel: channel, nowMillis: now + 1, limit: Self.claimBatch, rules: rules, reach: nil, fence: fence)
            } else {
                claimed = try await store.claim(channel: channel, nowMillis: now + 1, limit: Self.claimBatch, rules: rules, reach: nil)
            }
            guard !claimed.isEmpty else { break }
            micros.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1_000)
        }
        return micros
    }

    func claimLatency() async throws -> [ResultRow] {
        let count = scale.aggregatePerChannel
        func summary(_ xs: [Double]) -> String {
            let s = xs.sorted()
            guard !s.isEmpty else { return "no claims" }
            return "p50 \(fmt(s[s.count / 2] / 1_000, 2)) ms, p99 \(fmt(s[min(s.count - 1, s.count * 99 / 100)] / 1_000, 2)) ms"
        }
        let sqlite = try SQLiteOutboxStore(path: "\(dir)/claims.db")
        let onSQLite = try await timeClaims(sqlite, channel: "c0", count: count, fence: nil)
        var rows = [ResultRow(figure: "claim latency, \(Self.claimBatch) messages per claim, SQLite", value: summary(onSQLite), target: "-", ceiling: "-", pass: nil)]
        guard let pg = ProcessInfo.processInfo.environment["WA_OUTBOX_TEST_POSTGRES"] else { return rows }
        let url = try PostgresURL(parsing: pg)
        let schema = "bench_claims_" + String(UInt32.random(in: .min ... .max), radix: 36)
        let stores = [try await PostgresOutboxStore.open(url, schema: schema), try await PostgresOutboxStore.open(url, schema: schema),
                      try await PostgresOutboxStore.open(url, schema: schema)]
        defer { stores.forEach { $0.close() } }
        func lease(_ store: PostgresOutboxStore, _ channel: String, _ daemon: String) async throws -> (String, Int64) {
            let seen = try await store.observeLeases([channel])[channel]!
            guard let token = try await store.acquireLease(channel: channel, daemon: daemon, expecting: seen, mps: nil, nowMillis: 0, unknownWaitMillis: 60_000) else {
                throw BenchError("claim latency: no lease on \(channel)")
            }
            return (daemon, token)
        }
        let one = try await timeClaims(stores[0], channel: "c0", count: count, fence: try await lease(stores[0], "c0", "bench-0"))
        rows.append(ResultRow(figure: "claim latency, PostgreSQL, one daemon claiming", value: summary(one), target: "-",
                              ceiling: "SQLite: \(summary(onSQLite))", pass: nil))
        var fences: [(String, Int64)] = []
        for i in 0..<3 { fences.append(try await lease(stores[i], "c\(i + 1)", "bench-\(i)")) }
        let three = try await withThrowingTaskGroup(of: [Double].self) { group in
            for i in 0..<3 {
                let (store, fence) = (stores[i], fences[i])
                group.addTask { try await self.timeClaims(store, channel: "c\(i + 1)", count: count, fence: fence) }
            }
            var all: [Double] = []
            for try await xs in group { all += xs }
            return all
        }
        rows.append(ResultRow(figure: "claim latency, PostgreSQL, three daemons claiming at once, each its channel", value: summary(three), target: "-",
                              ceiling: "one claimer: \(summary(one))", pass: nil))
        return rows
    }
}
