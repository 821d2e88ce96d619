import OutboxCore
import OutboxStore
import PostgresNIO

/// Paused, approved-again and disabled templates on PostgreSQL, as SQLite's `+TemplateHolds`:
/// queued messages of a paused template are held until the pause ends (`due_at`, with the
/// reason), released when it is approved again, failed when it is disabled; each change is a
/// `status_changed` event. Several daemons apply reports of one template: each takes the
/// template's `template_pauses` row lock first, so pause counts and holds stay exact.
extension PostgresOutboxStore {
    /// The template a stored payload sends, if it is one (read in Swift: no round trip).
    static func template(ofPayload payload: String?) -> (name: String, language: String)? {
        guard let payload, let message = try? JSONParser.parse(Array(payload.utf8)),
              let name = message["template"]?["name"]?.stringValue,
              let language = message["template"]?["language"]?["code"]?.stringValue else { return nil }
        return (name, language)
    }

    /// Locks the template's pause row (created empty when there is none), so daemons applying
    /// reports of one template take turns. - Returns: its pauses and the end of the one in force.
    func lockPauses(_ conn: PostgresConnection, channel: String, name: String, language: String) async throws -> (pauses: Int, until: Int64?) {
        try await conn.exec("""
            INSERT INTO template_pauses (channel, name, language) VALUES (\(channel), \(name), \(language)) ON CONFLICT DO NOTHING
            """, logger: logger)
        guard let row = try await conn.rows("""
            SELECT pauses, paused_until FROM template_pauses WHERE channel = \(channel) AND name = \(name) AND language = \(language) FOR UPDATE
            """, logger: logger).first else { return (0, nil) }
        return (try row.get("pauses", as: Int.self), try row.get("paused_until", as: Int64?.self))
    }

    /// Applies a template's new status or quality (a webhook, or a sync that saw it change), as
    /// SQLite's `applyTemplateStatus`. A report without a language means every language of the name.
    /// - Parameters:
    ///   - previous: the status before, when the caller knows it (a sync); else the catalog's.
    ///   - releaseOnlyAfterPause: APPROVED releases held messages only when the status before was
    ///     PAUSED (a sync can lag behind a pause that a 132015 just reported).
    /// - Returns: whether queued messages moved (held, released or failed).
    @discardableResult
    func applyTemplateStatus(_ conn: PostgresConnection, _ r: TemplateStatusReport, previous known: String? = nil, releaseOnlyAfterPause: Bool = false,
                             nowMillis: Int64) async throws -> Bool {
        var languages = Set<String>()
        if let l = r.language {
            languages.insert(l)
        } else {
            for row in try await conn.rows("SELECT language FROM templates WHERE channel = \(r.channel) AND name = \(r.name)", logger: logger) {
                languages.insert(try row.get("language"))
            }
            for row in try await conn.rows("""
                SELECT DISTINCT payload::json #>> '{template,language,code}' AS language FROM messages
                WHERE state = 'queued' AND channel = \(r.channel) AND type = 'template' AND payload::json #>> '{template,name}' = \(r.name)
                """, logger: logger) {
                if let l = try row.get("language", as: String?.self) { languages.insert(l) }
            }
        }
        var moved = false
        for language in languages.sorted() {
            let pauses = r.status == nil ? 0 : try await lockPauses(conn, channel: r.channel, name: r.name, language: language).pauses
            let stored = try await conn.value("""
                SELECT status FROM templates WHERE channel = \(r.channel) AND name = \(r.name) AND language = \(language) FOR UPDATE
                """, as: String.self, logger: logger)
            let previous = known ?? stored
            if let status = r.status {
                try await conn.exec("""
                    UPDATE templates SET status = \(status), updated_at = \(nowMillis) WHERE channel = \(r.channel) AND name = \(r.name) AND language = \(language)
                    """, logger: logger)
            }
            if let quality = r.quality {
                try await conn.exec("""
                    UPDATE templates SET quality = \(quality), updated_at = \(nowMillis) WHERE channel = \(r.channel) AND name = \(r.name) AND language = \(language)
                    """, logger: logger)
            }
            var until: Int64?
            if let status = r.status {
                switch TemplateStatusRule.effect(status: status, name: r.name, pausesBefore: pauses, hint: r.hint, nowMillis: nowMillis) {
                case .hold(let end):
                    let reason = "template '\(r.name)' (\(language)) is paused" + (r.reason.map { " (\($0))" } ?? "")
                    until = try await pauseTemplate(conn, channel: r.channel, name: r.name, language: language, untilMillis: end, reason: reason, nowMillis: nowMillis)
                    moved = true
                case .release:
                    if !releaseOnlyAfterPause || previous == "PAUSED" {
                        moved = try await releaseTemplate(conn, channel: r.channel, name: r.name, language: language, nowMillis: nowMillis) > 0 || moved
                    }
                case .fail(let reason):
                    moved = try await failTemplate(conn, channel: r.channel, name: r.name, language: language, reason: reason, nowMillis: nowMillis) > 0 || moved
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
            try await logEvent(conn, .statusChanged, channel: r.channel, messageID: nil, at: nowMillis, data: data)
        }
        return moved
    }

    /// A pause of the template from now (or the one in force, when there is one: a second 132015
    /// within a pause is the same pause). Holds its queued messages until the pause ends.
    /// - Returns: when the pause ends.
    @discardableResult
    func pauseTemplate(_ conn: PostgresConnection, channel: String, name: String, language: String, untilMillis: Int64?, reason: String,
                       nowMillis: Int64) async throws -> Int64 {
        let (pauses, current) = try await lockPauses(conn, channel: channel, name: name, language: language)
        let inForce = current.map { $0 > nowMillis } ?? false
        let until: Int64
        if let current, inForce {
            until = max(current, untilMillis ?? current)
        } else {
            until = untilMillis ?? TemplateStatusRule.pauseEnd(pausesBefore: pauses, nowMillis: nowMillis)
        }
        try await conn.exec("""
            UPDATE template_pauses SET pauses = \(pauses + (inForce ? 0 : 1)), paused_until = \(until), reason = \(reason)
            WHERE channel = \(channel) AND name = \(name) AND language = \(language)
            """, logger: logger)
        try await holdQueued(conn, channel: channel, name: name, language: language, untilMillis: until,
                             reason: "\(reason); held until \(RFC3339.format(millis: until)) or until it is approved again", nowMillis: nowMillis)
        return until
    }

    /// Holds the template's queued messages until `untilMillis`, keeping their own due time.
    func holdQueued(_ conn: PostgresConnection, channel: String, name: String, language: String, untilMillis: Int64, reason: String, nowMillis: Int64) async throws {
        try await conn.exec("""
            UPDATE messages SET held_due_at = CASE WHEN held_by IS NULL THEN due_at ELSE held_due_at END, due_at = greatest(due_at, \(untilMillis)),
                   held_by = \(SQLiteOutboxStore.templateHoldKey(name: name, language: language)), held_reason = \(reason), updated_at = \(nowMillis)
            WHERE state = 'queued' AND channel = \(channel) AND type = 'template'
              AND payload::json #>> '{template,name}' = \(name) AND payload::json #>> '{template,language,code}' = \(language)
            """, logger: logger)
    }

    /// The template is approved again: its held messages are due at their own time again.
    /// - Returns: how many were released.
    func releaseTemplate(_ conn: PostgresConnection, channel: String, name: String, language: String, nowMillis: Int64) async throws -> Int {
        try await conn.exec("""
            UPDATE template_pauses SET paused_until = NULL WHERE channel = \(channel) AND name = \(name) AND language = \(language)
            """, logger: logger)
        return try await conn.rows("""
            UPDATE messages SET due_at = coalesce(held_due_at, due_at), held_by = NULL, held_reason = NULL, held_due_at = NULL, updated_at = \(nowMillis)
            WHERE state = 'queued' AND channel = \(channel) AND held_by = \(SQLiteOutboxStore.templateHoldKey(name: name, language: language))
            RETURNING id
            """, logger: logger).count
    }

    /// The template cannot be sent any more: its queued messages fail with the reason.
    /// - Returns: how many failed.
    func failTemplate(_ conn: PostgresConnection, channel: String, name: String, language: String?, reason: String, nowMillis: Int64) async throws -> Int {
        var ids: [Int64] = []
        if let language {
            try await conn.exec("""
                UPDATE template_pauses SET paused_until = NULL WHERE channel = \(channel) AND name = \(name) AND language = \(language)
                """, logger: logger)
            ids = try await conn.rows("""
                SELECT id FROM messages WHERE state = 'queued' AND channel = \(channel) AND type = 'template'
                  AND payload::json #>> '{template,name}' = \(name) AND payload::json #>> '{template,language,code}' = \(language)
                ORDER BY id FOR UPDATE
                """, logger: logger).map { try $0.get("id", as: Int64.self) }
        } else {
            ids = try await conn.rows("""
                SELECT id FROM messages WHERE state = 'queued' AND channel = \(channel) AND type = 'template' AND payload::json #>> '{template,name}' = \(name)
                ORDER BY id FOR UPDATE
                """, logger: logger).map { try $0.get("id", as: Int64.self) }
        }
        for id in ids { try await finish(conn, id: id, state: .failed, reason: reason, nowMillis: nowMillis) }
        return ids.count
    }

    /// A 132015 or 132016 about a template: the status the error shows, applied as a status
    /// webhook saying it would be (a pause in force stays the same pause).
    func markTemplate(_ conn: PostgresConnection, channel: String, name: String, language: String, status: String, reason: String, nowMillis: Int64) async throws {
        if status == "PAUSED", let until = try await lockPauses(conn, channel: channel, name: name, language: language).until, until > nowMillis {
            // Already paused: the messages queued since are held with the others.
            try await pauseTemplate(conn, channel: channel, name: name, language: language, untilMillis: until,
                                    reason: "template '\(name)' (\(language)) is paused (\(reason))", nowMillis: nowMillis)
            return
        }
        try await applyTemplateStatus(conn, TemplateStatusReport(channel: channel, name: name, language: language, status: status, reason: reason),
                                      nowMillis: nowMillis)
    }
}
