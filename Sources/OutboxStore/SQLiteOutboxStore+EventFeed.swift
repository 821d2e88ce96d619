import GRDB
import OutboxCore

/// One stored event, as the feed and the subscribers read it.
public struct LoggedEvent: Sendable, Equatable {
    /// The cursor: the event log's id.
    public var id: Int64
    public var atMillis: Int64
    public var type: String
    public var channel: String?
    public var messageID: Int64?
    /// The type's own fields, a JSON object (canonical text), or nil.
    public var data: String?

    public init(id: Int64, atMillis: Int64, type: String, channel: String?, messageID: Int64?, data: String?) {
        (self.id, self.atMillis, self.type, self.channel, self.messageID, self.data) = (id, atMillis, type, channel, messageID, data)
    }
}

/// What one read of the feed returned.
public struct EventPage: Sendable, Equatable {
    public var events: [LoggedEvent]
    /// Where the next read continues: the last event returned, or, when filters skipped
    /// events, the last one examined. Always a committed id, so nothing before it can appear later.
    public var nextCursor: Int64

    public init(events: [LoggedEvent], nextCursor: Int64) {
        (self.events, self.nextCursor) = (events, nextCursor)
    }
}

/// Which events a reader wants.
public struct EventFilter: Sendable, Equatable {
    /// Empty: every type.
    public var types: [EventType]
    /// Nil: every channel.
    public var channels: [String]?

    public init(types: [EventType] = [], channels: [String]? = nil) {
        self.types = types
        self.channels = channels
    }

    public var isEmpty: Bool { types.isEmpty && channels == nil }

    public func admits(type: String, channel: String?) -> Bool {
        (types.isEmpty || types.contains { $0.rawValue == type }) && (channels.map { cs in channel.map(cs.contains) ?? false } ?? true)
    }
}

extension SQLiteOutboxStore {
    /// Events after `after` (0: from the oldest still kept), oldest first, at most `limit`.
    /// With a filter, at most `scanLimit` ids are examined per call, so a rare type never makes
    /// one read walk the whole log; `nextCursor` then moves past what was examined.
    /// One writer commits ids in order: every id up to the newest one read is committed.
    public func events(after: Int64, limit: Int, filter: EventFilter = EventFilter(), scanLimit: Int = 50_000) async throws(StoreError) -> EventPage {
        try await read { db in try Self.events(db, after: after, limit: limit, filter: filter, scanLimit: scanLimit) }
    }

    static func events(_ db: Database, after: Int64, limit: Int, filter: EventFilter, scanLimit: Int) throws -> EventPage {
        let select = "SELECT id, at, type, channel, message_id, data FROM event_log"
        func decode(_ row: Row) -> LoggedEvent {
            LoggedEvent(id: row["id"], atMillis: row["at"], type: row["type"], channel: row["channel"], messageID: row["message_id"], data: row["data"])
        }
        if filter.isEmpty {
            let rows = try Row.fetchAll(db.cachedStatement(sql: "\(select) WHERE id > ? ORDER BY id LIMIT ?"), arguments: [after, limit])
            return EventPage(events: rows.map(decode), nextCursor: rows.last?["id"] ?? after)
        }
        guard let bounds = try Row.fetchOne(db.cachedStatement(sql: "SELECT min(id) AS lo, max(id) AS hi FROM event_log")),
              let oldest: Int64 = bounds["lo"], let newest: Int64 = bounds["hi"], newest > after else {
            return EventPage(events: [], nextCursor: after)
        }
        // Retention deletes from the oldest: the window starts at what is kept.
        let after = max(after, oldest - 1)
        let (end, overflow) = after.addingReportingOverflow(Int64(scanLimit))
        let upTo = overflow ? newest : min(newest, end)
        var events: [LoggedEvent] = []
        var last = after
        let rows = try Row.fetchCursor(db.cachedStatement(sql: "\(select) WHERE id > ? AND id <= ? ORDER BY id"), arguments: [after, upTo])
        while let row = try rows.next() {
            last = row["id"]
            let event = decode(row)
            if filter.admits(type: event.type, channel: event.channel) {
                events.append(event)
                if events.count == limit { return EventPage(events: events, nextCursor: last) }
            }
        }
        return EventPage(events: events, nextCursor: upTo)
    }

    /// The oldest and newest event ids kept (nil when the log is empty).
    public func eventRange() async throws(StoreError) -> (oldest: Int64, newest: Int64)? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT min(id) AS lo, max(id) AS hi FROM event_log"),
                  let lo: Int64 = row["lo"], let hi: Int64 = row["hi"] else { return nil }
            return (lo, hi)
        }
    }

    /// Events after `after` matching `filter`, counted up to `cap` (a subscriber's lag).
    public func countEvents(after: Int64, filter: EventFilter, cap: Int = 1_000_000) async throws(StoreError) -> Int {
        try await read { db in
            if filter.isEmpty {
                return try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT 1 FROM event_log WHERE id > ? LIMIT ?)", arguments: [after, cap]) ?? 0
            }
            var n = 0
            let rows = try Row.fetchCursor(db, sql: "SELECT type, channel FROM event_log WHERE id > ? ORDER BY id LIMIT ?", arguments: [after, cap])
            while let row = try rows.next() {
                if filter.admits(type: row["type"], channel: row["channel"]) { n += 1 }
            }
            return n
        }
    }
}
