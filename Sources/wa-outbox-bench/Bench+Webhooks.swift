import Foundation
import GRDB
import NIOCore
import NIOHTTP1

extension Bench {
    /// Status webhooks for messages the aggregate run sent, three per message (sent,
    /// delivered, read), from 32 concurrent senders: the rate, the answer time, and whether
    /// every acknowledged payload was stored and processed.
    func webhookReceiver() async throws -> [ResultRow] {
        let db = try database()
        let wamids = try await db.read { db in
            try String.fetchAll(db, sql: "SELECT wamid FROM messages WHERE wamid IS NOT NULL AND channel LIKE 'bulk%' LIMIT ?", arguments: [self.scale.aggregatePerChannel * 2])
        }
        var bodies: [[UInt8]] = []
        for w in wamids {
            for status in ["sent", "delivered", "read"] {
                bodies.append(Array(#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1555","phone_number_id":"1"},"statuses":[{"id":"\#(w)","status":"\#(status)","timestamp":"1795257590","recipient_id":"4915100000000"}]}}]}]}"#.utf8))
            }
        }
        let payloads = bodies
        let before = try await db.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox") ?? 0 }
        let next = Counter()
        let url = "http://127.0.0.1:\(webhookPort)/webhooks/bulk0"
        let start = Date()
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<32 {
                group.addTask {
                    var l: [Double] = []
                    while let i = next.take(below: payloads.count) {
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        let (status, _) = try await self.request(.POST, url, body: payloads[i], headers: [("Content-Type", "application/json")])
                        guard status == 200 else { throw BenchError("webhook answered \(status)") }
                        l.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                    }
                    return l
                }
            }
            var all: [Double] = []
            for try await l in group { all += l }
            return all.sorted()
        }
        let rate = Double(bodies.count) / Date().timeIntervalSince(start)
        try await waitFor(timeout: 120) {
            try await db.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox WHERE processed_at IS NULL") ?? 1 } == 0
        }
        let stored = try await db.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox") ?? 0 } - before
        let read = try await db.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM messages WHERE state = 'read' AND channel LIKE 'bulk%'") ?? 0 }
        return [ResultRow(
            figure: "webhook receiver, status payloads (32 senders)",
            value: "\(fmt(rate)) /s, p50 \(fmt(percentile(latencies, 50), 2)) ms, p99 \(fmt(percentile(latencies, 99), 2)) ms; \(stored)/\(bodies.count) stored, \(read) messages read",
            target: ">= 3,000/s, p99 < 80 ms, none lost", ceiling: "-",
            pass: rate >= 3_000 && percentile(latencies, 99) < 80 && stored == bodies.count)]
    }
}
