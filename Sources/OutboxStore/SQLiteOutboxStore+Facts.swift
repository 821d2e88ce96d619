import GRDB
import OutboxCore

/// What acting on failure facts changed beyond the messages: the daemon mirrors it in the
/// channels' live state (pause, rate) and reports it (log, metrics).
public struct FailureEffects: Sendable, Equatable {
    /// Channels a failed status paused (the pause is already stored).
    public var pauses: [String: ChannelPause] = [:]
    /// Channels whose spam-limit hold began or rose (already stored).
    public var spamHolds: [String: SpamHold] = [:]
    /// Channels the API said send too fast (throughput or spam limit): their rate goes down.
    public var throttled: Set<String> = []
    /// Messages priced for the first time: channel, category, billable.
    public var priced: [PricedMessage] = []

    public init() {}

    public mutating func merge(_ other: FailureEffects) {
        pauses.merge(other.pauses) { $1 }
        spamHolds.merge(other.spamHolds) { $1 }
        throttled.formUnion(other.throttled)
        priced += other.priced
    }
}

/// One message's pricing, counted once (at its first priced status).
public struct PricedMessage: Sendable, Equatable {
    public var channel: String
    public var category: String
    public var billable: Bool

    public init(channel: String, category: String, billable: Bool) {
        (self.channel, self.category, self.billable) = (channel, category, billable)
    }
}

extension SQLiteOutboxStore {
    /// Acts on the facts of one failure, whichever path it came by (an answer or a failed
    /// status): closes the window, marks the number unreachable, ends the queued messages of a
    /// paused template (held) or a disabled one (failed), puts a 131050 on the opt-out list, holds
    /// marketing to a recipient after a 131049, raises the channel's spam hold; a channel block reported
    /// by a status pauses the channel (an answer's block pauses it through its decision).
    /// - Parameters:
    ///   - requestStartedMillis: when the request that drew the failure started; a spam limit
    ///     for a request older than the hold in force belongs to the same episode.
    ///   - byStatus: the failure came in a status webhook (its message is already failed).
    static func applyFacts(_ meaning: ErrorMeaning, failure: APIFailure?, db: Database, messageID: Int64, channel: String, recipient: String,
                           payload: String?, requestStartedMillis: Int64, at: Int64, nowMillis: Int64, byStatus: Bool,
                           marketingHoldMillis: Int64 = MarketingPolicy.defaultHoldMillis) throws -> FailureEffects {
        var effects = FailureEffects()
        let summary = failure?.summary ?? "no error given"
        for fact in meaning.facts {
            switch fact {
            case .windowClosed:
                try db.execute(sql: """
                    INSERT INTO recipients (channel, recipient, window_closed_at) VALUES (?, ?, ?)
                    ON CONFLICT(channel, recipient) DO UPDATE SET window_closed_at = excluded.window_closed_at
                    """, arguments: [channel, recipient, at])
            case .recipientUnreachable:
                try db.execute(sql: """
                    INSERT INTO recipients (channel, recipient, unreachable_at) VALUES (?, ?, ?)
                    ON CONFLICT(channel, recipient) DO UPDATE SET unreachable_at = excluded.unreachable_at
                    """, arguments: [channel, recipient, at])
            case .templatePaused:
                // Meta pauses a template for 3 h, then 6 h: its queued messages wait (issue 15).
                guard let t = try template(ofPayload: payload, db: db) else { continue }
                try markTemplate(db, channel: channel, name: t.name, language: t.language, status: "PAUSED", reason: summary, nowMillis: nowMillis)
            case .templateDisabled:
                guard let t = try template(ofPayload: payload, db: db) else { continue }
                try markTemplate(db, channel: channel, name: t.name, language: t.language, status: "DISABLED", reason: summary, nowMillis: nowMillis)
            case .optedOut:
                try optOut(db, channel: channel, recipient: recipient, source: "131050", detail: summary, nowMillis: nowMillis)
            case .marketingLimit:
                try holdMarketing(db, channel: channel, recipient: recipient, untilMillis: TimeMath.add(at, marketingHoldMillis), nowMillis: nowMillis)
            case .throughput:
                effects.throttled.insert(channel)
            case .spamRestriction:
                effects.throttled.insert(channel)
                if let hold = try raiseSpamHold(db, channel: channel, requestStartedMillis: requestStartedMillis, nowMillis: nowMillis) {
                    effects.spamHolds[channel] = hold
                }
            case .channelBlocked(let after) where byStatus:
                let pause = ChannelPause(reason: "\(summary) (reported by a failed status of message \(messageID))", sinceMillis: nowMillis,
                                         untilMillis: after.map { TimeMath.add(nowMillis, $0) })
                try setPause(db, channel: channel, reason: pause.reason, untilMillis: pause.untilMillis, nowMillis: nowMillis)
                effects.pauses[channel] = pause
            case .channelBlocked, .pairLimit, .configurationProblem:
                // Acted on by the message's decision (pause, pair hold); the fact is kept in the audit trail.
                break
            }
        }
        return effects
    }

    /// A 132015 or 132016 about a template: the status the error shows, applied as a status
    /// webhook saying it would be (a pause in force stays the same pause).
    static func markTemplate(_ db: Database, channel: String, name: String, language: String, status: String, reason: String, nowMillis: Int64) throws {
        let row = try Row.fetchOne(db, sql: "SELECT paused_until FROM template_pauses WHERE channel = ? AND name = ? AND language = ?",
                                   arguments: [channel, name, language])
        if status == "PAUSED", let until: Int64 = row?["paused_until"], until > nowMillis {
            // Already paused: the messages queued since are held with the others.
            try pauseTemplate(db, channel: channel, name: name, language: language, untilMillis: until, reason: "template '\(name)' (\(language)) is paused (\(reason))",
                              nowMillis: nowMillis)
            return
        }
        try applyTemplateStatus(db, TemplateStatusReport(channel: channel, name: name, language: language, status: status, reason: reason), nowMillis: nowMillis)
    }

    /// Raises the channel's spam hold for a limit answered now; nil when it stays as it was.
    static func raiseSpamHold(_ db: Database, channel: String, requestStartedMillis: Int64, nowMillis: Int64) throws -> SpamHold? {
        let previous = try spamHold(db, channel: channel)
        guard let hold = SpamHold.after(previous, requestStartedMillis: requestStartedMillis, nowMillis: nowMillis) else { return nil }
        try db.execute(sql: """
            INSERT INTO channel_state (channel, spam_level, spam_since, spam_until) VALUES (?, ?, ?, ?)
            ON CONFLICT(channel) DO UPDATE SET spam_level = excluded.spam_level, spam_since = excluded.spam_since, spam_until = excluded.spam_until
            """, arguments: [channel, hold.level, hold.sinceMillis, hold.untilMillis])
        return hold
    }

    /// The channel's spam hold, in force or past (its level still counts for escalation).
    static func spamHold(_ db: Database, channel: String) throws -> SpamHold? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT spam_level, spam_since, spam_until FROM channel_state WHERE channel = ?"),
                                         arguments: [channel]),
              let level: Int = row["spam_level"], let since: Int64 = row["spam_since"], let until: Int64 = row["spam_until"] else { return nil }
        return SpamHold(level: level, sinceMillis: since, untilMillis: until)
    }

    /// Every channel's spam hold still in force at `nowMillis`, for stats, health and metrics.
    public func spamHolds(nowMillis: Int64) async throws(StoreError) -> [String: SpamHold] {
        try await read { db in
            var out: [String: SpamHold] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT channel, spam_level, spam_since, spam_until FROM channel_state WHERE spam_until > ?",
                                        arguments: [nowMillis]) {
                out[row["channel"]] = SpamHold(level: row["spam_level"], sinceMillis: row["spam_since"], untilMillis: row["spam_until"])
            }
            return out
        }
    }

    /// Ends a channel's spam hold now (an operator's `resume`); its level is kept for escalation.
    static func liftSpamHold(_ db: Database, channel: String, nowMillis: Int64) throws -> Bool {
        try db.execute(sql: "UPDATE channel_state SET spam_until = ? WHERE channel = ? AND spam_until > ?", arguments: [nowMillis, channel, nowMillis])
        return db.changesCount > 0
    }

    /// Messages priced per channel and category on the UTC day of `nowMillis`: `(all, billable)`.
    public func pricedToday(nowMillis: Int64) async throws(StoreError) -> [String: [String: (messages: Int, billable: Int)]] {
        try await read { db in
            var out: [String: [String: (messages: Int, billable: Int)]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT channel, category, billable, messages FROM priced WHERE day = ?",
                                        arguments: [nowMillis / 86_400_000]) {
                let n: Int = row["messages"]
                var entry = out[row["channel"], default: [:]][row["category"], default: (0, 0)]
                entry.messages += n
                if (row["billable"] as Int) == 1 { entry.billable += n }
                out[row["channel"], default: [:]][row["category"]] = entry
            }
            return out
        }
    }

    /// Another id of the customer behind `recipient`: a `wa_id` the API answered that is not
    /// the number sent to (Brazil's ninth digit, Mexico's 1), or their BSUID from a status.
    /// The customer's messages come from it, so they open `recipient`'s window too.
    static func recordAlias(_ db: Database, channel: String, recipient: String, alias raw: String, nowMillis: Int64) throws {
        let alias: String
        if let bsuid = try? Recipient(bsuid: raw) {
            alias = bsuid.e164
        } else if let number = try? Recipient(parsing: raw) {
            alias = number.e164
        } else {
            return
        }
        guard alias != recipient else { return }
        try db.cachedStatement(sql: """
            INSERT INTO recipient_aliases (channel, alias, recipient, at) VALUES (?, ?, ?, ?)
            ON CONFLICT(channel, alias, recipient) DO NOTHING
            """).execute(arguments: [channel, alias, recipient, nowMillis])
    }
}
