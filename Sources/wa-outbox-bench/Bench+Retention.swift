import Foundation
import GRDB
import OutboxAPI

extension Bench {
    /// Retention over a million finished rows must not lower the send rate by more than 5 %.
    /// On a fresh database holding `scale.retentionRows` finished messages (each with an attempt
    /// and an event; half old enough to delete, half to have their body erased), the same
    /// sends are measured twice: with retention off, then while retention's first pass works
    /// through those rows. Both at a fixed rate (the paced channel, 1,000 mps) and flat out
    /// (the aggregate of the unlimited channels).
    func retentionUnderLoad() async throws -> [ResultRow] {
        let n = scale.queuedRows
        try await freshDatabase()
        let prefill = Date()
        try await prefillFinished(count: n)
        let prefillSeconds = Date().timeIntervalSince(prefill)
        let dbBytes = (try? FileManager.default.attributesOfItem(atPath: databasePath)[.size] as? Int64) ?? 0

        try startWithRetention(nil)
        try await startDaemon()
        let off = try await measureSends(offset: 80_000_000)
        await stopDaemon()

        try startWithRetention("[retention]\nerase_bodies_after = \"30d\"\ndelete_after = \"180d\"\ninterval = \"1h\"\n")
        try await startDaemon()
        let on = try await measureSends(offset: 81_000_000)
        let stillRunning = try await lastPass() == nil
        // Let the pass finish, to report what it did and how long it took.
        try await waitFor(timeout: 900) { try await self.lastPass() != nil }
        let pass = try await lastPass()!
        await stopDaemon()
        try writeConfig()
        // Later phases expect a running daemon, as every other phase leaves it.
        try await startDaemon()

        let pacedRatio = on.paced / off.paced
        let aggregateRatio = on.aggregate / off.aggregate
        return [
            ResultRow(
                figure: "sends while retention works through \(n / 1000)k finished rows, one channel at 1,000 mps",
                value: "\(fmt(on.paced, 1)) mps with retention, \(fmt(off.paced, 1)) without (ratio \(fmt(pacedRatio, 3)))",
                target: "ratio >= 0.95", ceiling: "retention off, same database",
                pass: pacedRatio >= 0.95 && stillRunning),
            ResultRow(
                figure: "sends while retention works, aggregate of 10 unlimited channels",
                value: "\(fmt(on.aggregate)) sends/s with retention, \(fmt(off.aggregate)) without (ratio \(fmt(aggregateRatio, 3)))",
                target: "ratio >= 0.95", ceiling: "retention off, same database",
                pass: aggregateRatio >= 0.95 && stillRunning),
            ResultRow(
                figure: "retention pass over \(n / 1000)k finished rows (\(dbBytes >> 20) MiB, prefilled in \(fmt(prefillSeconds)) s)",
                value: "\(pass.messagesDeleted) messages deleted, \(pass.bodiesErased) bodies erased in \(fmt(Double(pass.lastPassMillis) / 1000, 1)) s"
                    + (stillRunning ? "; still running when the sends ended" : "; FINISHED BEFORE THE SENDS DID"),
                target: "-", ceiling: "-", pass: nil),
        ]
    }

    /// The paced channel's rate over `2 × pacedMessages` sends, then the aggregate's.
    func measureSends(offset: Int) async throws -> (paced: Double, aggregate: Double) {
        let paced = scale.pacedMessages * 2
        try await submitAll(lines(count: paced, channel: "paced", offset: offset, notBefore: nil))
        try await waitUntilDrained(channels: ["paced"], timeout: Double(paced) / 1000 * 3 + 30)
        let starts = try attempts(channels: ["paced"]).map(\.at).suffix(paced)
        let pacedRate = Double(starts.count - 1) / (Double(starts.last! - starts.first!) / 1000)

        let per = scale.aggregatePerChannel
        var interleaved: [String] = []
        let perChannel = Self.channels.enumerated().map { c, name in lines(count: per, channel: name, offset: offset + 100_000 + c * 10_000, notBefore: nil) }
        for i in 0..<per { for c in perChannel.indices { interleaved.append(perChannel[c][i]) } }
        try await submitAll(interleaved)
        try await waitUntilDrained(channels: Set(Self.channels), timeout: 300)
        let recorded = try attempts(channels: Self.channels).map(\.at).suffix(per * Self.channels.count)
        let aggregateRate = Double(recorded.count) / (Double(recorded.last! - recorded.first!) / 1000)
        return (pacedRate, aggregateRate)
    }

    /// Retention's last pass as `GET /v1/channels` shows it, once one finished.
    func lastPass() async throws -> RetentionStatus? {
        let (_, body) = try await socket(.GET, "/v1/channels")
        return try JSONDecoder().decode(ChannelsDocument.self, from: Data(body)).retention
    }

    /// The bench config with retention off, or with `section`.
    func startWithRetention(_ section: String?) throws {
        try writeConfig()
        let path = "\(dir)/wa-outbox.toml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try (text + "\n" + (section ?? "[retention]\nerase_bodies_after = \"off\"\ndelete_after = \"off\"\n")).write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Stops the daemon and starts over on an empty, migrated database (ids must grow with
    /// creation time, as they do in life: prefilled old rows go first).
    func freshDatabase() async throws {
        await stopDaemon()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: databasePath + suffix) }
        try startWithRetention(nil)
        try await startDaemon()
        await stopDaemon()
    }

    /// `count` finished messages, each with one attempt and one event: the first half last
    /// changed 200 days ago (past delete_after), the second half 60 days ago (past
    /// erase_bodies_after). One SQL statement per table, straight into the file.
    func prefillFinished(count: Int) async throws {
        let db = try DatabaseQueue(path: databasePath)
        let day: Int64 = 86_400_000
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try await db.write { db in
            try db.execute(sql: """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                INSERT INTO messages (channel, recipient, type, payload, priority, state, created_at, updated_at, due_at, wamid, sent_at, attempts)
                SELECT 'bulk' || (i % 10), '+49153' || printf('%08d', i), 'text',
                       '{"text":{"body":"Hello customer ' || i || ', your order has shipped and arrives tomorrow"},"type":"text"}', 1,
                       CASE i % 10 WHEN 0 THEN 'failed' WHEN 1 THEN 'read' ELSE 'delivered' END,
                       t, t, t, CASE i % 10 WHEN 0 THEN NULL ELSE 'wamid.bench' || i END, t, 1
                FROM (SELECT i, CASE WHEN i <= ? / 2 THEN ? ELSE ? END + i AS t FROM n)
                """, arguments: [count, count, now - 200 * day, now - 60 * day])
            try db.execute(sql: """
                INSERT INTO attempts (message_id, channel, at, outcome, http_status, latency_ms)
                SELECT id, channel, created_at, CASE state WHEN 'failed' THEN 'permanent_error' ELSE 'accepted' END, 200, 40 FROM messages
                """)
            try db.execute(sql: "INSERT INTO events (message_id, at, status) SELECT id, updated_at, state FROM messages")
        }
        try db.close()
    }
}
