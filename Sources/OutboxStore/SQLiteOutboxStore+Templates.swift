import Foundation
import GRDB
import OutboxCore

extension SQLiteOutboxStore {
    static let specEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    /// Replaces a channel's catalog with what 360dialog listed, in one transaction. A template
    /// whose status changed since the last sync has the effect of its new status on the queued
    /// messages (a pause holds them, APPROVED after a pause releases them, DISABLED fails them),
    /// and a `status_changed` event. Templates no longer listed are dropped.
    /// - Returns: how many templates changed status.
    @discardableResult
    public func replaceCatalog(channel: String, specs: [TemplateSpec], nowMillis: Int64) async throws(StoreError) -> Int {
        let encoded = specs.map { s in (s, String(decoding: (try? Self.specEncoder.encode(s)) ?? Data("{}".utf8), as: UTF8.self)) }
        return try await write { db in
            var before: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, language, status FROM templates WHERE channel = ?", arguments: [channel]) {
                before[(row["name"] as String) + "\u{0}" + (row["language"] as String)] = row["status"]
            }
            try db.execute(sql: "DELETE FROM templates WHERE channel = ?", arguments: [channel])
            let insert = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO templates (channel, name, language, category, status, quality, spec, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var changed = 0
            for (s, json) in encoded {
                try insert.execute(arguments: [channel, s.name, s.language, s.category, s.status, s.quality, json, nowMillis])
                guard let previous = before[s.name + "\u{0}" + s.language], previous != s.status else { continue }
                changed += 1
                try Self.applyTemplateStatus(db, TemplateStatusReport(channel: channel, name: s.name, language: s.language, status: s.status,
                                                                      quality: s.quality, reason: "seen by a catalog sync"),
                                             previous: previous, releaseOnlyAfterPause: true, nowMillis: nowMillis)
            }
            try db.execute(sql: """
                INSERT INTO template_sync (channel, synced_at, templates, tried_at, last_error) VALUES (?, ?, ?, ?, NULL)
                ON CONFLICT(channel) DO UPDATE SET synced_at = excluded.synced_at, templates = excluded.templates, tried_at = excluded.tried_at, last_error = NULL
                """, arguments: [channel, nowMillis, specs.count, nowMillis])
            return changed
        }
    }

    /// Notes a sync that did not complete; the catalog stays as it was.
    public func catalogSyncFailed(channel: String, error: String, nowMillis: Int64) async throws(StoreError) {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO template_sync (channel, tried_at, last_error) VALUES (?, ?, ?)
                ON CONFLICT(channel) DO UPDATE SET tried_at = excluded.tried_at, last_error = excluded.last_error
                """, arguments: [channel, nowMillis, String(error.prefix(500))])
        }
    }

    /// Every channel's synced catalog (channels never synced are absent).
    public func catalogs() async throws(StoreError) -> [String: TemplateCatalog] {
        try await read { db in
            var specs: [String: [TemplateSpec]] = [:]
            // The status and quality columns are current (webhooks change them); the spec is as synced.
            for row in try Row.fetchAll(db, sql: "SELECT channel, spec, status, quality FROM templates") {
                guard var s = try? JSONDecoder().decode(TemplateSpec.self, from: Data((row["spec"] as String).utf8)) else { continue }
                (s.status, s.quality) = (row["status"], row["quality"])
                specs[row["channel"], default: []].append(s)
            }
            var out: [String: TemplateCatalog] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT channel, synced_at FROM template_sync WHERE synced_at IS NOT NULL") {
                let channel: String = row["channel"]
                out[channel] = TemplateCatalog(specs[channel] ?? [], syncedMillis: row["synced_at"])
            }
            return out
        }
    }

    /// The templates of one channel (or all), by channel, name and language, with their pauses.
    public func templates(channel: String?, nowMillis: Int64) async throws(StoreError) -> [TemplateRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.channel, t.spec, t.status, t.quality, t.updated_at, p.paused_until FROM templates t
                LEFT JOIN template_pauses p ON p.channel = t.channel AND p.name = t.name AND p.language = t.language AND p.paused_until > ?
                WHERE ?2 IS NULL OR t.channel = ?2 ORDER BY t.channel, t.name, t.language
                """, arguments: [nowMillis, channel]).compactMap { row in
                guard var s = try? JSONDecoder().decode(TemplateSpec.self, from: Data((row["spec"] as String).utf8)) else { return nil }
                (s.status, s.quality) = (row["status"], row["quality"])
                return TemplateRecord(channel: row["channel"], spec: s, pausedUntilMillis: row["paused_until"], updatedMillis: row["updated_at"])
            }
        }
    }

    /// Per channel: templates, how many are paused now, and the last sync.
    public func catalogStates(nowMillis: Int64) async throws(StoreError) -> [String: CatalogState] {
        try await read { db in
            var out: [String: CatalogState] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT channel, synced_at, templates, tried_at, last_error FROM template_sync") {
                var s = CatalogState()
                (s.syncedMillis, s.templates, s.triedMillis, s.lastError) = (row["synced_at"], row["templates"], row["tried_at"], row["last_error"])
                out[row["channel"]] = s
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT channel, count(*) AS n FROM (
                  SELECT channel, name, language FROM templates WHERE status = 'PAUSED'
                  UNION SELECT channel, name, language FROM template_pauses WHERE paused_until > ?)
                GROUP BY channel
                """, arguments: [nowMillis]) {
                out[row["channel"], default: CatalogState()].paused = row["n"]
            }
            return out
        }
    }
}
