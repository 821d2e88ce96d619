import Foundation
import OutboxCore
import OutboxStore
import PostgresNIO

/// The template catalog on PostgreSQL, as SQLite's `+Templates`: each channel's templates as
/// 360dialog last listed them, with the statuses webhooks reported since and the pauses in force.
extension PostgresOutboxStore {
    static let specEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    /// How long marketing to a recipient waits after a 131049 (from the config, at start).
    public func setMarketingHold(millis: Int64) { marketingHold.store(max(0, millis), ordering: .relaxed) }

    /// Replaces a channel's catalog with what 360dialog listed, in one transaction. A template
    /// whose status changed since the last sync has the effect of its new status on the queued
    /// messages and a `status_changed` event; templates no longer listed are dropped.
    ///
    /// The channel's `template_sync` row is locked first: two daemons syncing one channel take
    /// turns, and the second compares against the catalog the first stored.
    /// - Returns: how many templates changed status.
    @discardableResult
    public func replaceCatalog(channel: String, specs: [TemplateSpec], nowMillis: Int64) async throws(StoreError) -> Int {
        // One row per (name, language), the last listed winning (as SQLite's INSERT OR REPLACE).
        var latest: [String: Int] = [:]
        for (i, s) in specs.enumerated() { latest[s.name + "\u{0}" + s.language] = i }
        let rows = specs.enumerated().filter { latest[$0.element.name + "\u{0}" + $0.element.language] == $0.offset }.map { _, s in
            TemplateRow(name: s.name, language: s.language, category: s.category, status: s.status, quality: s.quality,
                        spec: String(decoding: (try? Self.specEncoder.encode(s)) ?? Data("{}".utf8), as: UTF8.self))
        }
        let json = String(decoding: (try? JSONEncoder().encode(rows)) ?? Data("[]".utf8), as: UTF8.self)
        return try await write { conn in
            try await conn.exec("""
                INSERT INTO template_sync (channel, tried_at) VALUES (\(channel), \(nowMillis)) ON CONFLICT (channel) DO UPDATE SET tried_at = excluded.tried_at
                """, logger: self.logger)
            var before: [String: String] = [:]
            for r in try await conn.rows("SELECT name, language, status FROM templates WHERE channel = \(channel)", logger: self.logger) {
                before[(try r.get("name", as: String.self)) + "\u{0}" + (try r.get("language", as: String.self))] = try r.get("status")
            }
            try await conn.exec("DELETE FROM templates WHERE channel = \(channel)", logger: self.logger)
            try await conn.exec("""
                INSERT INTO templates (channel, name, language, category, status, quality, spec, updated_at)
                SELECT \(channel), r.name, r.language, r.category, r.status, r.quality, r.spec, \(nowMillis)
                FROM json_to_recordset(\(json)::json) AS r(name text, language text, category text, status text, quality text, spec text)
                """, logger: self.logger)
            var changed = 0
            for s in specs {
                guard let previous = before[s.name + "\u{0}" + s.language], previous != s.status else { continue }
                changed += 1
                try await self.applyTemplateStatus(conn, TemplateStatusReport(channel: channel, name: s.name, language: s.language, status: s.status,
                                                                              quality: s.quality, reason: "seen by a catalog sync"),
                                                   previous: previous, releaseOnlyAfterPause: true, nowMillis: nowMillis)
            }
            try await conn.exec("""
                UPDATE template_sync SET synced_at = \(nowMillis), templates = \(specs.count), tried_at = \(nowMillis), last_error = NULL WHERE channel = \(channel)
                """, logger: self.logger)
            return changed
        }
    }

    /// Notes a sync that did not complete; the catalog stays as it was.
    public func catalogSyncFailed(channel: String, error: String, nowMillis: Int64) async throws(StoreError) {
        try await write { conn in
            try await conn.exec("""
                INSERT INTO template_sync (channel, tried_at, last_error) VALUES (\(channel), \(nowMillis), \(String(error.prefix(500))))
                ON CONFLICT (channel) DO UPDATE SET tried_at = excluded.tried_at, last_error = excluded.last_error
                """, logger: self.logger)
        }
    }

    /// Every channel's synced catalog (channels never synced are absent).
    public func catalogs() async throws(StoreError) -> [String: TemplateCatalog] {
        try await read { conn in
            var specs: [String: [TemplateSpec]] = [:]
            // The status and quality columns are current (webhooks change them); the spec is as synced.
            for r in try await conn.rows("SELECT channel, spec, status, quality FROM templates ORDER BY channel COLLATE \"C\", name COLLATE \"C\", language COLLATE \"C\"", logger: self.logger) {
                guard var s = try? JSONDecoder().decode(TemplateSpec.self, from: Data((try r.get("spec", as: String.self)).utf8)) else { continue }
                (s.status, s.quality) = (try r.get("status"), try r.get("quality"))
                specs[try r.get("channel"), default: []].append(s)
            }
            var out: [String: TemplateCatalog] = [:]
            for r in try await conn.rows("SELECT channel, synced_at FROM template_sync WHERE synced_at IS NOT NULL", logger: self.logger) {
                let channel: String = try r.get("channel")
                out[channel] = TemplateCatalog(specs[channel] ?? [], syncedMillis: try r.get("synced_at"))
            }
            return out
        }
    }

    /// The templates of one channel (or all), by channel, name and language (byte order, as
    /// SQLite sorts), with their pauses.
    public func templates(channel: String?, nowMillis: Int64) async throws(StoreError) -> [TemplateRecord] {
        try await read { conn in
            try await conn.rows("""
                SELECT t.channel, t.spec, t.status, t.quality, t.updated_at, p.paused_until FROM templates t
                LEFT JOIN template_pauses p ON p.channel = t.channel AND p.name = t.name AND p.language = t.language AND p.paused_until > \(nowMillis)
                WHERE \(channel)::text IS NULL OR t.channel = \(channel)
                ORDER BY t.channel COLLATE "C", t.name COLLATE "C", t.language COLLATE "C"
                """, logger: self.logger).compactMap { r in
                guard var s = try? JSONDecoder().decode(TemplateSpec.self, from: Data((try r.get("spec", as: String.self)).utf8)) else { return nil }
                (s.status, s.quality) = (try r.get("status"), try r.get("quality"))
                return TemplateRecord(channel: try r.get("channel"), spec: s, pausedUntilMillis: try r.get("paused_until"), updatedMillis: try r.get("updated_at"))
            }
        }
    }

    /// Per channel: templates, how many are paused now, and the last sync.
    public func catalogStates(nowMillis: Int64) async throws(StoreError) -> [String: CatalogState] {
        try await read { conn in
            var out: [String: CatalogState] = [:]
            for r in try await conn.rows("SELECT channel, synced_at, templates, tried_at, last_error FROM template_sync", logger: self.logger) {
                var s = CatalogState()
                (s.syncedMillis, s.templates, s.triedMillis, s.lastError) = (try r.get("synced_at"), try r.get("templates"), try r.get("tried_at"), try r.get("last_error"))
                out[try r.get("channel")] = s
            }
            for r in try await conn.rows("""
                SELECT channel, count(*) AS n FROM (
                  SELECT channel, name, language FROM templates WHERE status = 'PAUSED'
                  UNION SELECT channel, name, language FROM template_pauses WHERE paused_until > \(nowMillis)) AS paused
                GROUP BY channel
                """, logger: self.logger) {
                out[try r.get("channel"), default: CatalogState()].paused = try r.get("n", as: Int.self)
            }
            return out
        }
    }
}

/// One template as the catalog INSERT reads it (`json_to_recordset`).
private struct TemplateRow: Encodable {
    var name: String
    var language: String
    var category: String
    var status: String
    var quality: String?
    var spec: String
}
