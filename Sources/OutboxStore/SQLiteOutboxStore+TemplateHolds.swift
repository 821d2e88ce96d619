import GRDB
import OutboxCore

/// Paused, approved-again and disabled templates, whichever way the daemon learned of them (a
/// 132015/132016 answer or failed status, a status webhook, a catalog sync): queued messages of
/// a paused template are held until the pause ends (`due_at`, with the reason), released when it
/// is approved again, and failed when it is disabled. Each change is a `status_changed` event.
extension SQLiteOutboxStore {
    /// What holds a message of this template (`messages.held_by`).
    public static func templateHoldKey(name: String, language: String) -> String { "template:\(name):\(language)" }

    /// The template a stored payload sends, if it is one.
    static func template(ofPayload payload: String?, db: Database) throws -> (name: String, language: String)? {
        guard let payload, let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT json_extract(?1, '$.template.name') AS name, json_extract(?1, '$.template.language.code') AS language
            """), arguments: [payload]),
            let name: String = row["name"], let language: String = row["language"] else { return nil }
        return (name, language)
    }

    /// Applies a template's new status or quality (a webhook, or a sync that saw it change).
    /// A report without a language means every language of the name.
    /// - Parameters:
    ///   - previous: the status before, when the caller knows it (a sync); else the catalog's.
    ///   - releaseOnlyAfterPause: APPROVED releases held messages only when the status before was
    ///     PAUSED (a sync can lag behind a pause that a 132015 just reported).
    /// - Returns: whether queued messages moved (held, released or failed).
    @discardableResult
    static func applyTemplateStatus(_ db: Database, _ r: TemplateStatusReport, previous known: String? = nil, releaseOnlyAfterPause: Bool = false,
                                    nowMillis: Int64) throws -> Bool {
        var languages = Set<String>()
        if let l = r.language {
            languages.insert(l)
        } else {
            languages.formUnion(try String.fetchAll(db, sql: "SELECT language FROM templates WHERE channel = ? AND name = ?", arguments: [r.channel, r.name]))
            languages.formUnion(try String.fetchAll(db, sql: """
                SELECT DISTINCT json_extract(payload, '$.template.language.code') FROM messages
                WHERE state = 'queued' AND channel = ? AND type = 'template' AND json_extract(payload, '$.template.name') = ?
                """, arguments: [r.channel, r.name]).compactMap { $0 })
        }
        var moved = false
        for language in languages.sorted() {
            let previous = try known ?? String.fetchOne(db, sql: "SELECT status FROM templates WHERE channel = ? AND name = ? AND language = ?",
                                                        arguments: [r.channel, r.name, language])
            if let status = r.status {
                try db.execute(sql: "UPDATE templates SET status = ?, updated_at = ? WHERE channel = ? AND name = ? AND language = ?",
                               arguments: [status, nowMillis, r.channel, r.name, language])
            }
            if let quality = r.quality {
                try db.execute(sql: "UPDATE templates SET quality = ?, updated_at = ? WHERE channel = ? AND name = ? AND language = ?",
                               arguments: [quality, nowMillis, r.channel, r.name, language])
            }
            var until: Int64?
            if let status = r.status {
                let pauses = try Int.fetchOne(db, sql: "SELECT pauses FROM template_pauses WHERE channel = ? AND name = ? AND language = ?",
                                              arguments: [r.channel, r.name, language]) ?? 0
                switch TemplateStatusRule.effect(status: status, name: r.name, pausesBefore: pauses, hint: r.hint, nowMillis: nowMillis) {
                case .hold(let end):
                    let reason = "template '\(r.name)' (\(language)) is paused" + (r.reason.map { " (\($0))" } ?? "")
                    until = try pauseTemplate(db, channel: r.channel, name: r.name, language: language, untilMillis: end, reason: reason, nowMillis: nowMillis)
                    moved = true
                case .release:
                    if !releaseOnlyAfterPause || previous == "PAUSED" {
                        moved = try releaseTemplate(db, channel: r.channel, name: r.name, language: language, nowMillis: nowMillis) > 0 || moved
                    }
                case .fail(let reason):
                    moved = try failTemplate(db, channel: r.channel, name: r.name, language: language, reason: reason, nowMillis: nowMillis) > 0 || moved
                case .none:
                    break
                }
            }
            var data: [String: JSONValue] = [
                "template": .string(r.name), "language": .string(language),
                "status": r.status.map(JSONValue.string) ?? .null, "previous_status": previous.map(JSONValue.string) ?? .null,
                "quality": r.quality.map(JSONValue.string) ?? .null, "reason": r.reason.map(JSONValue.string) ?? .null,
            ]
            if let until { data["paused_until"] = .string(RFC3339.format(millis: until)) }
            try logEvent(db, .statusChanged, channel: r.channel, messageID: nil, at: nowMillis, data: data)
        }
        return moved
    }

    /// A pause of the template from now (or the one in force, when there is one: a second 132015
    /// within a pause is the same pause). Holds its queued messages until the pause ends.
    /// - Returns: when the pause ends.
    @discardableResult
    static func pauseTemplate(_ db: Database, channel: String, name: String, language: String, untilMillis: Int64?, reason: String,
                              nowMillis: Int64) throws -> Int64 {
        let row = try Row.fetchOne(db, sql: "SELECT pauses, paused_until FROM template_pauses WHERE channel = ? AND name = ? AND language = ?",
                                   arguments: [channel, name, language])
        let pauses: Int = row?["pauses"] ?? 0
        let current: Int64? = row?["paused_until"]
        let until: Int64
        if let current, current > nowMillis {
            until = max(current, untilMillis ?? current)
        } else {
            until = untilMillis ?? TemplateStatusRule.pauseEnd(pausesBefore: pauses, nowMillis: nowMillis)
        }
        let newPause = !(current.map { $0 > nowMillis } ?? false)
        try db.execute(sql: """
            INSERT INTO template_pauses (channel, name, language, pauses, paused_until, reason) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(channel, name, language) DO UPDATE SET pauses = excluded.pauses, paused_until = excluded.paused_until, reason = excluded.reason
            """, arguments: [channel, name, language, pauses + (newPause ? 1 : 0), until, reason])
        try holdQueued(db, channel: channel, name: name, language: language, untilMillis: until,
                       reason: "\(reason); held until \(RFC3339.format(millis: until)) or until it is approved again", nowMillis: nowMillis)
        return until
    }

    /// Holds the template's queued messages until `untilMillis`, keeping their own due time.
    static func holdQueued(_ db: Database, channel: String, name: String, language: String, untilMillis: Int64, reason: String, nowMillis: Int64) throws {
        try db.cachedStatement(sql: """
            UPDATE messages SET held_due_at = CASE WHEN held_by IS NULL THEN due_at ELSE held_due_at END, due_at = max(due_at, ?1),
                   held_by = ?2, held_reason = ?3, updated_at = ?4
            WHERE state = 'queued' AND channel = ?5 AND type = 'template'
              AND json_extract(payload, '$.template.name') = ?6 AND json_extract(payload, '$.template.language.code') = ?7
            """).execute(arguments: [untilMillis, templateHoldKey(name: name, language: language), reason, nowMillis, channel, name, language])
    }

    /// The template is approved again: its held messages are due at their own time again.
    /// - Returns: how many were released.
    static func releaseTemplate(_ db: Database, channel: String, name: String, language: String, nowMillis: Int64) throws -> Int {
        try db.execute(sql: "UPDATE template_pauses SET paused_until = NULL WHERE channel = ? AND name = ? AND language = ?",
                       arguments: [channel, name, language])
        return try release(db, channel: channel, heldBy: templateHoldKey(name: name, language: language), nowMillis: nowMillis)
    }

    /// Ends holds of one kind: the messages are due at their own time again.
    static func release(_ db: Database, channel: String, heldBy: String, recipient: String? = nil, nowMillis: Int64) throws -> Int {
        try db.cachedStatement(sql: """
            UPDATE messages SET due_at = coalesce(held_due_at, due_at), held_by = NULL, held_reason = NULL, held_due_at = NULL, updated_at = ?
            WHERE state = 'queued' AND channel = ? AND held_by = ? AND (?4 IS NULL OR recipient = ?4)
            """).execute(arguments: [nowMillis, channel, heldBy, recipient])
        return db.changesCount
    }

    /// The template cannot be sent any more: its queued messages fail with the reason.
    /// - Returns: how many failed.
    static func failTemplate(_ db: Database, channel: String, name: String, language: String?, reason: String, nowMillis: Int64) throws -> Int {
        if let language {
            try db.execute(sql: "UPDATE template_pauses SET paused_until = NULL WHERE channel = ? AND name = ? AND language = ?", arguments: [channel, name, language])
        }
        let ids = try Int64.fetchAll(db, sql: """
            SELECT id FROM messages WHERE state = 'queued' AND channel = ? AND type = 'template' AND json_extract(payload, '$.template.name') = ?
              AND (?3 IS NULL OR json_extract(payload, '$.template.language.code') = ?3)
            """, arguments: [channel, name, language])
        for id in ids { try finish(db, id: id, state: .failed, reason: reason, nowMillis: nowMillis) }
        return ids.count
    }
}
