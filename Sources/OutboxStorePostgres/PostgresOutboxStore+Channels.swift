import OutboxCore
import OutboxStore
import PostgresNIO

extension PostgresOutboxStore {
    func spamHold(_ conn: PostgresConnection, channel: String) async throws -> SpamHold? {
        guard let row = try await conn.rows("SELECT spam_level, spam_since, spam_until FROM channel_state WHERE channel = \(channel)", logger: logger).first,
              let level = try row.get("spam_level", as: Int?.self), let since = try row.get("spam_since", as: Int64?.self),
              let until = try row.get("spam_until", as: Int64?.self) else { return nil }
        return SpamHold(level: level, sinceMillis: since, untilMillis: until)
    }

    func setPause(_ conn: PostgresConnection, channel: String, reason: String, untilMillis: Int64?, nowMillis: Int64) async throws {
        let before = try await conn.rows("SELECT paused_reason, paused_until FROM channel_state WHERE channel = \(channel) FOR UPDATE", logger: logger).first
        if try before?.get("paused_reason", as: String?.self) != reason || before?.get("paused_until", as: Int64?.self) != untilMillis {
            try await logEvent(conn, .paused, channel: channel, messageID: nil, at: nowMillis, data: [
                "reason": .string(reason), "until": untilMillis.map { .string(RFC3339.format(millis: $0)) } ?? .null,
            ])
        }
        try await conn.exec("""
            INSERT INTO channel_state (channel, paused_reason, paused_at, paused_until) VALUES (\(channel), \(reason), \(nowMillis), \(untilMillis))
            ON CONFLICT (channel) DO UPDATE SET paused_reason = excluded.paused_reason,
                paused_at = coalesce(channel_state.paused_at, excluded.paused_at), paused_until = excluded.paused_until
            """, logger: logger)
    }

    /// Pauses the channel: nothing is claimed until `untilMillis` (nil: until resumed).
    public func pause(channel: String, reason: String, untilMillis: Int64?, nowMillis: Int64) async throws(StoreError) {
        try await write { conn in
            try await self.setPause(conn, channel: channel, reason: reason, untilMillis: untilMillis, nowMillis: nowMillis) }
    }

    /// Ends a pause (and with `spamHoldMillis`, lifts the spam hold at that time).
    @discardableResult
    public func resume(channel: String, liftingSpamHoldAt spamHoldMillis: Int64?, nowMillis: Int64) async throws(StoreError) -> Bool {
        try await write { conn in
            let resumed = try await conn.rows("""
                UPDATE channel_state SET paused_reason = NULL, paused_at = NULL, paused_until = NULL
                WHERE channel = \(channel) AND paused_reason IS NOT NULL RETURNING channel
                """, logger: self.logger)
            if !resumed.isEmpty { try await self.logEvent(conn, .resumed, channel: channel, messageID: nil, at: nowMillis) }
            guard let spamHoldMillis else { return !resumed.isEmpty }
            let lifted = try await conn.rows("""
                UPDATE channel_state SET spam_until = \(spamHoldMillis) WHERE channel = \(channel) AND spam_until > \(spamHoldMillis) RETURNING channel
                """, logger: self.logger)
            return !lifted.isEmpty || !resumed.isEmpty
        }
    }

    /// Keeps the channel's adaptive rate (nil: the configured one) across restarts.
    public func saveRate(channel: String, mps: Int?, nowMillis: Int64) async throws(StoreError) {
        try await write { conn in
            let current = try await conn.rows("SELECT current_mps FROM channel_state WHERE channel = \(channel) FOR UPDATE", logger: self.logger).first
            if try current?.get("current_mps", as: Int?.self) != mps {
                try await self.logEvent(conn, .rateChanged, channel: channel, messageID: nil, at: nowMillis, data: ["mps": mps.map { .int(Int64($0)) } ?? .null])
            }
            try await conn.exec("""
                INSERT INTO channel_state (channel, current_mps) VALUES (\(channel), \(mps)) ON CONFLICT (channel) DO UPDATE SET current_mps = excluded.current_mps
                """, logger: self.logger)
        }
    }

    public func savedRates() async throws(StoreError) -> [String: Int] {
        try await read { conn in
            var out: [String: Int] = [:]
            for row in try await conn.rows("SELECT channel, current_mps FROM channel_state WHERE current_mps IS NOT NULL", logger: self.logger) {
                out[try row.get("channel")] = try row.get("current_mps", as: Int.self)
            }
            return out
        }
    }

    public func pauses() async throws(StoreError) -> [String: ChannelPause] {
        try await read { conn in
            var out: [String: ChannelPause] = [:]
            for row in try await conn.rows("SELECT channel, paused_reason, paused_at, paused_until FROM channel_state WHERE paused_reason IS NOT NULL", logger: self.logger) {
                out[try row.get("channel")] = ChannelPause(reason: try row.get("paused_reason"), sinceMillis: try row.get("paused_at", as: Int64?.self) ?? 0,
                                                           untilMillis: try row.get("paused_until"))
            }
            return out
        }
    }

    public func spamHolds(nowMillis: Int64) async throws(StoreError) -> [String: SpamHold] {
        try await read { conn in
            var out: [String: SpamHold] = [:]
            for row in try await conn.rows("SELECT channel, spam_level, spam_since, spam_until FROM channel_state WHERE spam_until > \(nowMillis)", logger: self.logger) {
                out[try row.get("channel")] = SpamHold(level: try row.get("spam_level"), sinceMillis: try row.get("spam_since"), untilMillis: try row.get("spam_until"))
            }
            return out
        }
    }

    /// Per channel: queued, sending and awaiting counts, and the oldest queued message's time.
    public func channelCounts() async throws(StoreError) -> [String: ChannelCounts] {
        try await read { conn in
            var out: [String: ChannelCounts] = [:]
            for row in try await conn.rows("""
                SELECT channel, count(*) AS n, min(created_at) AS oldest FROM messages WHERE state = 'queued' GROUP BY channel
                """, logger: self.logger) {
                let c: String = try row.get("channel")
                out[c, default: ChannelCounts()].queued = try row.get("n", as: Int.self)
                out[c, default: ChannelCounts()].oldestQueuedMillis = try row.get("oldest")
            }
            for row in try await conn.rows("""
                SELECT channel, count(*) AS n, count(*) FILTER (WHERE awaiting_settlement) AS waiting FROM messages WHERE state = 'sending' GROUP BY channel
                """, logger: self.logger) {
                let c: String = try row.get("channel")
                out[c, default: ChannelCounts()].sending = try row.get("n", as: Int.self)
                out[c, default: ChannelCounts()].awaitingSettlement = try row.get("waiting", as: Int.self)
            }
            try await self.measureSize(conn)  // stats reads `sizeBytes` next
            return out
        }
    }
}
