import Foundation
import GRDB
import NIOCore
import NIOHTTP1

extension Bench {
    /// Status webhooks for messages the aggregate run sent, three per message (sent,
    /// delivered, read), from 32 concurrent senders: the rate, the answer time, and whether
    /// every acknowledged payload was stored and processed. The senders are 4 load-generator
    /// processes (`load`); their CPU per payload stands beside the figure.
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
        let before = try await db.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox") ?? 0 }
        try FileManager.default.createDirectory(atPath: "\(dir)/load", withIntermediateDirectories: true)
        let bodiesFile = "\(dir)/load/webhooks.ndjson"
        try Data(bodies.joined(separator: [0x0A])).write(to: URL(fileURLWithPath: bodiesFile))
        // 32 senders in 4 processes, so that no one process's CPU caps the rate it drives.
        let run = try await load(LoadSpec(kind: .posts, worker: 0, workers: 1, clients: 8, startAt: 0, url: "http://127.0.0.1:\(webhookPort)/webhooks/bulk0",
                                          count: bodies.count, bodiesFile: bodiesFile, headers: [["Content-Type", "application/json"]]),
                                 processes: 4, log: "webhooks")
        let latencies = run.latencies
        let rate = run.rate
        try await waitFor(timeout: 120) {
            try await db.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox WHERE processed_at IS NULL") ?? 1 } == 0
        }
        let stored = try await db.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox") ?? 0 } - before
        let read = try await db.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM messages WHERE state = 'read' AND channel LIKE 'bulk%'") ?? 0 }
        return [ResultRow(
            figure: "webhook receiver, status payloads (32 senders)",
            value: "\(fmt(rate)) /s, p50 \(fmt(percentile(latencies, 50), 2)) ms, p99 \(fmt(percentile(latencies, 99), 2)) ms; \(stored)/\(bodies.count) stored, \(read) messages read",
            target: ">= 3,000/s, p99 < 80 ms, none lost", ceiling: run.cpuNote,
            pass: rate >= 3_000 && percentile(latencies, 99) < 80 && stored == bodies.count)]
    }
}
