import Foundation
import OutboxCore
import OutboxStore
import PostgresNIO

/// The small reads and writes of stats, health, subscribers and retention bookkeeping.
extension PostgresOutboxStore {
    public func lastAccepted(channel: String, sinceMillis: Int64) async throws(StoreError) -> Int64? {
        try await read { conn in
            try await conn.value("""
                SELECT at FROM attempts WHERE at >= \(sinceMillis) AND channel = \(channel) AND outcome = 'accepted' ORDER BY at DESC LIMIT 1
                """, as: Int64.self, logger: self.logger)
        }
    }

    /// Why writes fail now, or nil when the database takes them (a cheap probe).
    public func writeProblem() async -> String? {
        do {
            try await write { conn in try await conn.exec("SELECT 1", logger: self.logger) }
            return nil
        } catch {
            return "\(error)"
        }
    }

    public func lastInbound(channel: String, recipient: String) async throws(StoreError) -> Int64? {
        try await read { conn in
            try await conn.value("SELECT last_inbound_at FROM recipients WHERE channel = \(channel) AND recipient = \(recipient)", as: Int64.self, logger: self.logger)
        }
    }

    public func recipientFacts(channel: String, recipient: String) async throws(StoreError) -> (lastInbound: Int64?, windowClosed: Int64?, unreachable: Int64?)? {
        try await read { conn in
            guard let r = try await conn.rows("""
                SELECT last_inbound_at, window_closed_at, unreachable_at FROM recipients WHERE channel = \(channel) AND recipient = \(recipient)
                """, logger: self.logger).first else { return nil }
            return (try r.get("last_inbound_at"), try r.get("window_closed_at"), try r.get("unreachable_at"))
        }
    }

    public func inboxCounts() async throws(StoreError) -> (pending: Int, failed: Int) {
        try await read { conn in
            (try await conn.value("SELECT count(*) FROM inbox WHERE processed_at IS NULL", as: Int.self, logger: self.logger) ?? 0,
             try await conn.value("SELECT count(*) FROM inbox WHERE error IS NOT NULL", as: Int.self, logger: self.logger) ?? 0)
        }
    }

    public func reachUse(portfolios: [String], nowMillis: Int64) async throws(StoreError) -> [String: (used: Int, nextFreeMillis: Int64?)] {
        try await read { conn in
            var out: [String: (used: Int, nextFreeMillis: Int64?)] = [:]
            for p in portfolios {
                let since = nowMillis - MessagingLimit.window
                let oldest = try await conn.value("SELECT min(reached_at) FROM reach WHERE portfolio = \(p) AND reached_at > \(since)", as: Int64.self, logger: self.logger)
                out[p] = (try await self.reachUsed(conn, portfolio: p, nowMillis: nowMillis), oldest.map { $0 + MessagingLimit.window })
            }
            return out
        }
    }

    public func openWindows(nowMillis: Int64, marginMillis: Int64) async throws(StoreError) -> [String: Int] {
        try await read { conn in
            var out: [String: Int] = [:]
            for r in try await conn.rows("""
                SELECT channel, count(*) AS n FROM recipients
                WHERE last_inbound_at > \(nowMillis - RecipientRules.windowMillis + marginMillis) AND (window_closed_at IS NULL OR window_closed_at < last_inbound_at)
                GROUP BY channel
                """, logger: self.logger) {
                out[try r.get("channel")] = try r.get("n", as: Int.self)
            }
            return out
        }
    }

    public func eventTime(id: Int64) async throws(StoreError) -> Int64? {
        try await read { conn in try await conn.value("SELECT at FROM event_log WHERE id = \(id)", as: Int64.self, logger: self.logger) }
    }

    public func subscriberProgress() async throws(StoreError) -> [String: SubscriberProgress] {
        try await read { conn in
            var out: [String: SubscriberProgress] = [:]
            for r in try await conn.rows("SELECT name, cursor, failing_since, last_error, last_success FROM subscriber_state", logger: self.logger) {
                out[try r.get("name")] = SubscriberProgress(cursor: try r.get("cursor"), failingSinceMillis: try r.get("failing_since"),
                                                           lastError: try r.get("last_error"), lastSuccessMillis: try r.get("last_success"))
            }
            return out
        }
    }

    public func saveSubscriberProgress(name: String, _ p: SubscriberProgress) async throws(StoreError) {
        try await write { conn in
            try await conn.exec("""
                INSERT INTO subscriber_state (name, cursor, failing_since, last_error, last_success)
                VALUES (\(name), \(p.cursor), \(p.failingSinceMillis), \(p.lastError), \(p.lastSuccessMillis))
                ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor, failing_since = excluded.failing_since,
                    last_error = excluded.last_error, last_success = excluded.last_success
                """, logger: self.logger)
        }
    }

    public func saveRetentionPass(_ pass: RetentionPass) async throws(StoreError) {
        let text = String(decoding: (try? JSONEncoder().encode(pass)) ?? Data("{}".utf8), as: UTF8.self)
        try await write { conn in
            try await conn.exec("""
                INSERT INTO meta (key, value) VALUES ('retention_last_pass', \(text)) ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """, logger: self.logger)
        }
    }

    public func lastRetentionPass() async throws(StoreError) -> RetentionPass? {
        let text = try await read { conn in try await conn.value("SELECT value FROM meta WHERE key = 'retention_last_pass'", as: String.self, logger: self.logger) }
        return text.flatMap { try? JSONDecoder().decode(RetentionPass.self, from: Data($0.utf8)) }
    }

    /// The outbox's size on the server: every table of its schema with indexes and TOAST, as
    /// last measured. The call is synchronous (SQLite stats its files) and measuring takes a
    /// query, so `channelCounts` and `queueFigures`, which stats and metrics read just before,
    /// measure it (`measureSize`); until the first of them it is the size at open.
    public func sizeBytes() -> Int64 { measuredBytes.load(ordering: .relaxed) }

    /// Measures the outbox's tables (those of the schema it uses, not the whole database: other
    /// outboxes or applications may share it) and keeps the figure for `sizeBytes`.
    func measureSize(_ conn: PostgresConnection) async throws {
        let bytes = try await conn.value("""
            SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'm')
            """, as: Int64.self, logger: logger) ?? 0
        measuredBytes.store(bytes, ordering: .relaxed)
    }

    /// Records that a timed pause ended by itself at `untilMillis`, as SQLite does.
    @discardableResult
    public func liftEndedPause(channel: String, untilMillis: Int64) async throws(StoreError) -> Bool {
        try await write { conn in
            guard let reason = try await conn.value("""
                SELECT paused_reason FROM channel_state WHERE channel = \(channel) AND paused_until = \(untilMillis) FOR UPDATE
                """, as: String.self, logger: self.logger) else { return false }
            try await conn.exec("""
                UPDATE channel_state SET paused_reason = NULL, paused_at = NULL, paused_until = NULL WHERE channel = \(channel) AND paused_until = \(untilMillis)
                """, logger: self.logger)
            try await self.logEvent(conn, .resumed, channel: channel, messageID: nil, at: untilMillis, data: ["by": .string("timer"), "reason": .string(reason)])
            return true
        }
    }
}
