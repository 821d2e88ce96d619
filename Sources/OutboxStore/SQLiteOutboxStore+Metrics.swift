import GRDB
import OutboxCore

/// The queue as the metrics endpoint shows it, read cheaply: counts come from the covering
/// partial index `messages_due`, the earliest due time per priority from one index seek.
public struct QueueFigures: Sendable, Equatable {
    /// Queued messages per channel and priority (channels with none are absent).
    public var queued: [String: [Priority: Int]] = [:]
    /// The earliest `due_at` among a channel's queued messages (ms since 1970).
    public var earliestDueMillis: [String: Int64] = [:]
    /// Messages in `sending` per channel (in flight, or waiting for a status that settles them).
    public var sending: [String: Int] = [:]
    /// Import rows staged per channel, not messages yet (SQLite; not in `queued`).
    public var staged: [String: Int] = [:]
    public init() {}
}

/// Messages that ended in the timeline without a decision on an API answer: the local rules
/// (expired, window closed at claim, template paused, unknown outcome never settled) and
/// failed statuses that webhooks reported after the API took a message.
public struct TimelineEndings: Sendable, Equatable {
    public struct Key: Hashable, Sendable {
        public var channel: String
        /// `failed` or `expired`.
        public var state: String
        /// True when the API had taken the message (it has a wamid): a failed status webhook.
        public var afterAcceptance: Bool

        public init(channel: String, state: String, afterAcceptance: Bool) {
            (self.channel, self.state, self.afterAcceptance) = (channel, state, afterAcceptance)
        }
    }

    public var counts: [Key: Int] = [:]
    /// The newest event id read; the next call starts after it.
    public var lastEventID: Int64

    public init(counts: [Key: Int] = [:], lastEventID: Int64) {
        (self.counts, self.lastEventID) = (counts, lastEventID)
    }
}

extension SQLiteOutboxStore {
    /// Queue depth per channel and priority, the earliest due time, and messages in `sending`.
    public func queueFigures() async throws(StoreError) -> QueueFigures {
        try await read { db in
            var f = QueueFigures()
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT channel, priority, count(*) AS n FROM messages INDEXED BY messages_due WHERE state = 'queued' GROUP BY channel, priority
                """)) {
                guard let p = Priority(rank: row["priority"]) else { continue }
                f.queued[row["channel"], default: [:]][p] = row["n"]
            }
            let earliest = try db.cachedStatement(sql: """
                SELECT min(due_at) FROM messages INDEXED BY messages_due WHERE state = 'queued' AND channel = ? AND priority = ?
                """)
            for (channel, byPriority) in f.queued {
                for p in byPriority.keys {
                    if let due = try Int64.fetchOne(earliest, arguments: [channel, p.rank]) {
                        f.earliestDueMillis[channel] = min(f.earliestDueMillis[channel] ?? due, due)
                    }
                }
            }
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT channel, count(*) AS n FROM messages WHERE state = 'sending' GROUP BY channel")) {
                f.sending[row["channel"]] = row["n"]
            }
            f.staged = try Self.stagedByChannel(db).mapValues(\.rows)
            return f
        }
    }

    /// The newest timeline event's id (0 for none): counting endings starts after it.
    public func lastEventID() async throws(StoreError) -> Int64 {
        try await read { db in try Int64.fetchOne(db, sql: "SELECT max(id) FROM events") ?? 0 }
    }

    /// `failed` and `expired` endings the timeline recorded after event `afterID`, per channel.
    /// Reads only the events since then (a range of the rowid), so its cost follows the
    /// traffic since the last call, not the size of the database.
    public func timelineEndings(afterEventID afterID: Int64) async throws(StoreError) -> TimelineEndings {
        try await read { db in
            let last = try Int64.fetchOne(db, sql: "SELECT max(id) FROM events") ?? afterID
            var endings = TimelineEndings(lastEventID: max(last, afterID))
            guard last > afterID else { return endings }
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT m.channel AS channel, e.status AS status, m.wamid IS NOT NULL AS accepted, count(*) AS n
                FROM events e JOIN messages m ON m.id = e.message_id
                WHERE e.id > ? AND e.id <= ? AND e.status IN ('failed', 'expired')
                GROUP BY 1, 2, 3
                """), arguments: [afterID, last]) {
                let key = TimelineEndings.Key(channel: row["channel"], state: row["status"], afterAcceptance: row["accepted"])
                endings.counts[key] = row["n"]
            }
            return endings
        }
    }
}
