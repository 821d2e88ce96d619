import Foundation
import GRDB
import OutboxCore

/// What applying a batch of processed payloads changed.
public struct InboxEffects: Sendable, Equatable {
    /// Channels whose queue may have moved: their workers should look again.
    public var moved: Set<String> = []
    /// What failed statuses changed beyond their messages, and the messages priced.
    public var failures = FailureEffects()
    /// Channels whose template catalog changed (a status webhook): the submission checks reload it.
    public var catalogChanged: Set<String> = []

    public init() {}
}

/// A webhook payload to keep, as it arrived.
public struct InboxItem: Sendable {
    public var channel: String?
    public var source: String
    public var body: [UInt8]

    public init(channel: String?, source: String, body: [UInt8]) {
        self.channel = channel
        self.source = source
        self.body = body
    }
}

/// A stored payload waiting to be processed.
public struct PendingInbox: Sendable {
    public var id: Int64
    public var channel: String?
    public var body: [UInt8]

    public init(id: Int64, channel: String?, body: [UInt8]) {
        (self.id, self.channel, self.body) = (id, channel, body)
    }
}

/// What processing one stored payload came to.
public struct ProcessedInbox: Sendable {
    public var id: Int64
    public var statuses: [StatusReport]
    public var inbound: [InboundReport]
    /// Template status and quality changes, and customers' marketing preferences.
    public var templates: [TemplateStatusReport] = []
    public var preferences: [PreferenceReport] = []
    /// Why the payload could not be read or routed; it is kept for inspection.
    public var error: String?
    /// False for all but the last part of a payload applied over several transactions (too
    /// many statuses for one): it stays pending until its last part is in. Applying a part
    /// again after a crash changes nothing (statuses only move forward and are deduplicated;
    /// inbound times keep their maximum).
    public var isLastPart = true

    public init(id: Int64, statuses: [StatusReport] = [], inbound: [InboundReport] = [], templates: [TemplateStatusReport] = [],
                preferences: [PreferenceReport] = [], error: String? = nil) {
        self.id = id
        self.statuses = statuses
        self.inbound = inbound
        self.templates = templates
        self.preferences = preferences
        self.error = error
    }

    /// Statuses and inbound messages: the rows applying this costs.
    public var reports: Int { statuses.count + inbound.count + templates.count + preferences.count }

    /// Splits off the first `n` reports (statuses first) as a part that leaves the payload pending.
    public mutating func splitFirst(_ n: Int) -> ProcessedInbox {
        var part = ProcessedInbox(id: id)
        part.isLastPart = false
        let s = min(n, statuses.count)
        part.statuses = Array(statuses.prefix(s))
        statuses.removeFirst(s)
        let i = min(n - s, inbound.count)
        part.inbound = Array(inbound.prefix(i))
        inbound.removeFirst(i)
        let t = min(n - s - i, templates.count)
        part.templates = Array(templates.prefix(t))
        templates.removeFirst(t)
        let p = min(n - s - i - t, preferences.count)
        part.preferences = Array(preferences.prefix(p))
        preferences.removeFirst(p)
        return part
    }
}

extension SQLiteOutboxStore {
    /// Stores payloads durably (one commit for the batch); returns their ids.
    public func storeInbox(_ items: [InboxItem], nowMillis: Int64) async throws(StoreError) -> [Int64] {
        try await write { db in
            let stmt = try db.cachedStatement(sql: "INSERT INTO inbox (channel, source, received_at, body) VALUES (?, ?, ?, ?)")
            return try items.map { item in
                try stmt.execute(arguments: [item.channel, item.source, nowMillis, Data(item.body)])
                return db.lastInsertedRowID
            }
        }
    }

    /// Payloads not processed yet, oldest first: up to `limit` of them and `maxBytes` of bodies
    /// in all, but always the oldest one whatever its size. The sizes are read first (SQLite
    /// knows a blob's length without reading it), so no body past the budget is loaded.
    public func pendingInbox(limit: Int, maxBytes: Int = .max) async throws(StoreError) -> [PendingInbox] {
        try await read { db in
            let sizes = try Row.fetchAll(db, sql: "SELECT id, length(body) AS n FROM inbox WHERE processed_at IS NULL ORDER BY id LIMIT ?", arguments: [limit])
            var total = 0
            var last: Int64?
            for row in sizes {
                let n: Int = row["n"] ?? 0
                if last != nil, total > maxBytes - n { break }
                total += n
                last = row["id"]
            }
            guard let last else { return [] }
            return try Row.fetchAll(db, sql: "SELECT id, channel, body FROM inbox WHERE processed_at IS NULL AND id <= ? ORDER BY id", arguments: [last]).map {
                PendingInbox(id: $0["id"], channel: $0["channel"], body: [UInt8]($0["body"] as Data))
            }
        }
    }

    /// Those of `ids` not processed yet (a relay applies its own payload before answering).
    public func pendingInbox(ids: [Int64]) async throws(StoreError) -> [PendingInbox] {
        guard !ids.isEmpty else { return [] }
        return try await read { db in
            let stmt = try db.cachedStatement(sql: "SELECT id, channel, body FROM inbox WHERE id = ? AND processed_at IS NULL")
            return try ids.compactMap { id in
                try Row.fetchOne(stmt, arguments: [id]).map { PendingInbox(id: $0["id"], channel: $0["channel"], body: [UInt8]($0["body"] as Data)) }
            }
        }
    }

    /// Applies processed payloads and marks them processed, in one transaction. A payload
    /// already processed (by the other path: the background processor, or a relay or a
    /// submission that applied it first) is skipped, so each is applied once.
    /// - Returns: the channels whose queue the batch may have moved (an open request settled,
    ///   a failure fact, a customer writing): their workers should look again. Plain delivery
    ///   and read receipts of sent messages wake nobody. And what failed statuses changed
    ///   beyond their messages (pauses, spam holds, rates) and the messages priced.
    @discardableResult
    public func applyInbox(_ processed: [ProcessedInbox], nowMillis: Int64) async throws(StoreError) -> InboxEffects {
        let instanceID = self.instanceID
        let marketingHold = marketingHoldMillis
        return try await write { db in
            var effects = InboxEffects()
            let done = try db.cachedStatement(sql: "SELECT 1 FROM inbox WHERE id = ? AND processed_at IS NOT NULL")
            for p in processed {
                if try Int.fetchOne(done, arguments: [p.id]) != nil { continue }
                for s in p.statuses {
                    if let channel = try Self.apply(s, db: db, nowMillis: nowMillis, instanceID: instanceID, effects: &effects.failures,
                                                     marketingHoldMillis: marketingHold) {
                        effects.moved.insert(channel)
                    }
                }
                for i in p.inbound {
                    try Self.apply(i, db: db)
                    try Self.logInbound(i, db: db, nowMillis: nowMillis)
                    effects.moved.insert(i.channel)
                }
                for t in p.templates where try Self.applyTemplateStatus(db, t, nowMillis: nowMillis) {
                    effects.moved.insert(t.channel)
                }
                if !p.templates.isEmpty { effects.catalogChanged.formUnion(p.templates.map(\.channel)) }
                for pref in p.preferences {
                    if pref.stop {
                        try Self.optOut(db, channel: pref.channel, recipient: pref.recipient, source: pref.source, detail: pref.detail, nowMillis: nowMillis)
                    } else {
                        try Self.optIn(db, channel: pref.channel, recipient: pref.recipient, source: pref.source, nowMillis: nowMillis)
                    }
                }
                if p.isLastPart {
                    try db.cachedStatement(sql: "UPDATE inbox SET processed_at = ?, error = ? WHERE id = ?").execute(arguments: [nowMillis, p.error, p.id])
                }
            }
            return effects
        }
    }

    /// When the recipient last wrote on this channel, if ever.
    public func lastInbound(channel: String, recipient: String) async throws(StoreError) -> Int64? {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT last_inbound_at FROM recipients WHERE channel = ? AND recipient = ?", arguments: [channel, recipient])
        }
    }

    /// The recipient facts the webhooks taught, for tests and `status`.
    public func recipientFacts(channel: String, recipient: String) async throws(StoreError) -> (lastInbound: Int64?, windowClosed: Int64?, unreachable: Int64?)? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT last_inbound_at, window_closed_at, unreachable_at FROM recipients WHERE channel = ? AND recipient = ?",
                                             arguments: [channel, recipient]) else { return nil }
            return (row["last_inbound_at"], row["window_closed_at"], row["unreachable_at"])
        }
    }

    /// Counts of stored payloads: pending, and kept with an error.
    public func inboxCounts() async throws(StoreError) -> (pending: Int, failed: Int) {
        try await read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox WHERE processed_at IS NULL") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox WHERE error IS NOT NULL") ?? 0)
        }
    }

    /// The customer's message in the event log; `message_id` is ours it replies to (its
    /// `context.id` is that message's wamid), when there is one.
    static func logInbound(_ i: InboundReport, db: Database, nowMillis: Int64) throws {
        // A customer known by a number and a BSUID is two reports of one message: logged once.
        guard i.message != nil || i.wamid != nil else { return }
        let data: [String: JSONValue] = [
            "from": .string(i.recipient), "wamid": i.wamid.map(JSONValue.string) ?? .null, "message_type": i.type.map(JSONValue.string) ?? .null,
            "text": i.text.map(JSONValue.string) ?? .null, "message": i.message ?? .null,
            "reply_to_wamid": i.contextWamid.map(JSONValue.string) ?? .null,
            "sent_at": .string(RFC3339.format(millis: i.timestampMillis)),
        ]
        try db.cachedStatement(sql: """
            INSERT INTO event_log (at, type, channel, message_id, data)
            VALUES (?1, 'inbound', ?2, (SELECT id FROM messages WHERE wamid = ?3), ?4)
            """).execute(arguments: [nowMillis, i.channel, i.contextWamid, JSONValue.object(data).canonicalText])
    }

    /// A customer wrote: their window opens, and so does that of every number they are an
    /// alias of (a wa_id the API answered for another number, their BSUID). Keeps the latest
    /// inbound time; a stored one more than 30 days after the new one cannot be real (an
    /// earlier version stored forged far-future timestamps) and is replaced.
    static func apply(_ i: InboundReport, db: Database) throws {
        let open = try db.cachedStatement(sql: """
            INSERT INTO recipients (channel, recipient, last_inbound_at) VALUES (?, ?, ?)
            ON CONFLICT(channel, recipient) DO UPDATE SET last_inbound_at = CASE
                WHEN last_inbound_at > excluded.last_inbound_at + 2592000000 THEN excluded.last_inbound_at
                ELSE max(coalesce(last_inbound_at, 0), excluded.last_inbound_at) END
            """)
        try open.execute(arguments: [i.channel, i.recipient, i.timestampMillis])
        for recipient in try String.fetchAll(db.cachedStatement(sql: "SELECT recipient FROM recipient_aliases WHERE channel = ? AND alias = ?"),
                                             arguments: [i.channel, i.recipient]) {
            try open.execute(arguments: [i.channel, recipient, i.timestampMillis])
        }
    }
}
