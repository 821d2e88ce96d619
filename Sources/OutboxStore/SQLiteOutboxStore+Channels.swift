import GRDB
import OutboxCore

/// A channel's pause, as stored so that it survives a restart.
public struct ChannelPause: Sendable, Equatable {
    public var reason: String
    public var sinceMillis: Int64
    /// When the pause lifts by itself; nil until an operator resumes the channel.
    public var untilMillis: Int64?

    public init(reason: String, sinceMillis: Int64, untilMillis: Int64?) {
        self.reason = reason
        self.sinceMillis = sinceMillis
        self.untilMillis = untilMillis
    }
}

/// Per-channel queue figures.
public struct ChannelCounts: Sendable, Equatable {
    public var queued = 0
    public var sending = 0
    /// Sending messages whose outcome is unknown, waiting for a status.
    public var awaitingSettlement = 0
    /// `created_at` of the oldest queued message.
    public var oldestQueuedMillis: Int64?
    public init() {}
}

extension SQLiteOutboxStore {
    static func setPause(_ db: Database, channel: String, reason: String, untilMillis: Int64?, nowMillis: Int64) throws {
        let before = try Row.fetchOne(db.cachedStatement(sql: "SELECT paused_reason, paused_until FROM channel_state WHERE channel = ?"), arguments: [channel])
        if before?["paused_reason"] as String? != reason || before?["paused_until"] as Int64? != untilMillis {
            try logEvent(db, .paused, channel: channel, messageID: nil, at: nowMillis, data: [
                "reason": .string(reason), "until": untilMillis.map { .string(RFC3339.format(millis: $0)) } ?? .null,
            ])
        }
        try db.execute(sql: """
            INSERT INTO channel_state (channel, paused_reason, paused_at, paused_until) VALUES (?, ?, ?, ?)
            ON CONFLICT(channel) DO UPDATE SET paused_reason = excluded.paused_reason,
                paused_at = coalesce(channel_state.paused_at, excluded.paused_at), paused_until = excluded.paused_until
            """, arguments: [channel, reason, nowMillis, untilMillis])
    }

    /// Pauses a channel: it stops claiming; its queue stays intact.
    public func pause(channel: String, reason: String, untilMillis: Int64?, nowMillis: Int64) async throws(StoreError) {
        try await write { db in try Self.setPause(db, channel: channel, reason: reason, untilMillis: untilMillis, nowMillis: nowMillis) }
    }

    /// Lifts a channel's pause, and with `liftingSpamHoldAt` its spam-limit hold too (whose
    /// level still counts if the limit comes again). Returns false when nothing was lifted.
    @discardableResult
    public func resume(channel: String, liftingSpamHoldAt spamHoldMillis: Int64? = nil, nowMillis: Int64) async throws(StoreError) -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE channel_state SET paused_reason = NULL, paused_at = NULL, paused_until = NULL WHERE channel = ? AND paused_reason IS NOT NULL",
                           arguments: [channel])
            let paused = db.changesCount > 0
            if paused { try Self.logEvent(db, .resumed, channel: channel, messageID: nil, at: nowMillis) }
            guard let spamHoldMillis else { return paused }
            return try Self.liftSpamHold(db, channel: channel, nowMillis: spamHoldMillis) || paused
        }
    }

    /// Records that a timed pause ended by itself at `untilMillis`: clears it and writes a
    /// `resumed` event (`"by": "timer"`) at that time. Only a pause that ends then is lifted,
    /// so a newer pause set meanwhile stays. Returns false when there was none to lift.
    @discardableResult
    public func liftEndedPause(channel: String, untilMillis: Int64) async throws(StoreError) -> Bool {
        try await write { db in
            let row = try Row.fetchOne(db, sql: "SELECT paused_reason FROM channel_state WHERE channel = ? AND paused_until = ?",
                                       arguments: [channel, untilMillis])
            guard let reason = row?["paused_reason"] as String? else { return false }
            try db.execute(sql: "UPDATE channel_state SET paused_reason = NULL, paused_at = NULL, paused_until = NULL WHERE channel = ? AND paused_until = ?",
                           arguments: [channel, untilMillis])
            try Self.logEvent(db, .resumed, channel: channel, messageID: nil, at: untilMillis,
                              data: ["by": .string("timer"), "reason": .string(reason)])
            return true
        }
    }

    /// Saves the adaptive rate in force (nil: the configured one), so it survives a restart.
    /// A change is an event: `mps` is the rate in force, null when the configured one is back.
    public func saveRate(channel: String, mps: Int?, nowMillis: Int64) async throws(StoreError) {
        try await write { db in
            let row = try Row.fetchOne(db, sql: "SELECT current_mps FROM channel_state WHERE channel = ?", arguments: [channel])
            if row?["current_mps"] as Int? != mps {
                try Self.logEvent(db, .rateChanged, channel: channel, messageID: nil, at: nowMillis,
                                  data: ["mps": mps.map { .int(Int64($0)) } ?? .null])
            }
            try db.execute(sql: """
                INSERT INTO channel_state (channel, current_mps) VALUES (?, ?)
                ON CONFLICT(channel) DO UPDATE SET current_mps = excluded.current_mps
                """, arguments: [channel, mps])
        }
    }

    /// The saved adaptive rates.
    public func savedRates() async throws(StoreError) -> [String: Int] {
        try await read { db in
            var out: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT channel, current_mps FROM channel_state WHERE current_mps IS NOT NULL") {
                out[row["channel"]] = row["current_mps"]
            }
            return out
        }
    }

    /// Every paused channel and why.
    public func pauses() async throws(StoreError) -> [String: ChannelPause] {
        try await read { db in
            var out: [String: ChannelPause] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT channel, paused_reason, paused_at, paused_until FROM channel_state WHERE paused_reason IS NOT NULL") {
                out[row["channel"]] = ChannelPause(reason: row["paused_reason"], sinceMillis: row["paused_at"] ?? 0, untilMillis: row["paused_until"])
            }
            return out
        }
    }

    /// Queue figures per channel, for `stats` and health.
    public func channelCounts() async throws(StoreError) -> [String: ChannelCounts] {
        try await read { db in
            var out: [String: ChannelCounts] = [:]
            // Counted on the queue's covering index alone: the oldest queued message is the one
            // with the lowest id (ids follow acceptance), so only its row is read. (Reading
            // `created_at` of every queued row took about a second with a million queued.)
            let created = try db.cachedStatement(sql: "SELECT created_at FROM messages WHERE id = ?")
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT channel, count(*) AS n, min(id) AS first FROM messages INDEXED BY messages_due WHERE state = 'queued' GROUP BY channel
                """)) {
                out[row["channel"], default: ChannelCounts()].queued = row["n"]
                out[row["channel"], default: ChannelCounts()].oldestQueuedMillis = try Int64.fetchOne(created, arguments: [row["first"] as Int64])
            }
            // An import's rows still staged are queued too (see SQLiteOutboxStore+Staging).
            for (channel, staged) in try Self.stagedByChannel(db) {
                out[channel, default: ChannelCounts()].queued += staged.rows
                out[channel]!.oldestQueuedMillis = min(out[channel]!.oldestQueuedMillis ?? staged.since, staged.since)
            }
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT channel, count(*) AS n, sum(awaiting_settlement) AS waiting FROM messages WHERE state = 'sending' GROUP BY channel
                """)) {
                out[row["channel"], default: ChannelCounts()].sending = row["n"]
                out[row["channel"], default: ChannelCounts()].awaitingSettlement = row["waiting"] ?? 0
            }
            return out
        }
    }

    /// Attempts per channel and outcome since `sinceMillis`: seeds the rolling counters at start-up.
    public func attemptCounts(sinceMillis: Int64) async throws(StoreError) -> [(channel: String, at: Int64, outcome: AttemptOutcome)] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT channel, at, outcome FROM attempts WHERE at >= ? ORDER BY at", arguments: [sinceMillis]).compactMap { row in
                guard let o = AttemptOutcome(rawValue: row["outcome"]) else { return nil }
                return (row["channel"], row["at"], o)
            }
        }
    }
}
