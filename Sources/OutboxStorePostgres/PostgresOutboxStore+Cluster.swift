import Foundation
import OutboxCore
import OutboxStore
import PostgresNIO

extension PostgresOutboxStore: LeaseStore {}

/// Heartbeats, lease rows for operators, and wake-ups between daemons (LISTEN/NOTIFY).
extension PostgresOutboxStore {
    public func beat(_ me: DaemonRow) async throws(StoreError) -> [DaemonRow] {
        try await write { conn in
            try await conn.exec("""
                INSERT INTO daemons (id, host, pid, started_at, beat_at, beats) VALUES (\(me.id), \(me.host), \(me.pid), \(me.startedMillis), \(me.beatMillis), 1)
                ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at, beats = daemons.beats + 1
                """, logger: self.logger)
            return try await conn.rows("SELECT id, host, pid, started_at, beat_at, beats FROM daemons ORDER BY id", logger: self.logger).map { r in
                DaemonRow(id: try r.get("id"), host: try r.get("host"), pid: try r.get("pid", as: Int32.self).asInt, startedMillis: try r.get("started_at"),
                          beatMillis: try r.get("beat_at"), beats: try r.get("beats"))
            }
        }
    }

    /// Ends the database sessions of a daemon whose lease is being taken over while its locks
    /// hold the takeover up (`acquireLease`), so a transaction it was frozen in lets go now
    /// rather than when the server's idle timeout ends it. Best effort; returns how many.
    /// Sessions are named by their daemon's id (`applicationName`). Same role is enough to end
    /// them (no superuser); a session of another role, or a name PostgreSQL changed (non-ASCII),
    /// is left to `idle_in_transaction_session_timeout`.
    @discardableResult
    public func fenceOut(daemon: String) async -> Int {
        do {
            return try await read { conn in
                try await conn.value("""
                    SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid()
                      AND (application_name = \(daemon) OR left(application_name, \(Int32(daemon.utf8.count + 1))::integer) = \(daemon + " "))
                    """, as: Int.self, logger: self.logger) ?? 0
            }
        } catch {
            logger.warning("cannot end a replaced daemon's database sessions", metadata: ["daemon": "\(daemon)", "error": "\(error)"])
            return 0
        }
    }

    public func forgetDaemons(_ ids: [String]) async throws(StoreError) {
        guard !ids.isEmpty else { return }
        try await write { conn in try await conn.exec("DELETE FROM daemons WHERE id = ANY(\(ids))", logger: self.logger) }
    }

    public func leases() async throws(StoreError) -> [LeaseRow] {
        try await read { conn in
            try await conn.rows("SELECT channel, owner, token, mps, acquired_at, renewed_at FROM channel_leases ORDER BY channel", logger: self.logger).map { r in
                LeaseRow(channel: try r.get("channel"), owner: try r.get("owner"), token: try r.get("token"), mps: try r.get("mps", as: Int32?.self).map(Int.init),
                         acquiredMillis: try r.get("acquired_at"), renewedMillis: try r.get("renewed_at"))
            }
        }
    }

    /// The NOTIFY channel of this outbox: one per schema (several outboxes may share a database).
    static let topicChannelSQL = "'wao_' || left(md5(current_schema()), 20)"

    public func announce(_ topics: Set<String>) async {
        guard !topics.isEmpty else { return }
        let list = Array(topics)
        do {
            try await read { conn in
                try await conn.exec(PostgresQuery(unsafeSQL: "SELECT pg_notify(\(Self.topicChannelSQL), t) FROM unnest($1::text[]) AS t", binds: Self.binds(list)),
                                    logger: self.logger)
            }
        } catch {
            logger.debug("cannot tell the other daemons of news; they find it at their next poll", metadata: ["error": "\(error)"])
        }
    }

    public func listen(_ heard: @escaping @Sendable (String) -> Void) async throws {
        let logger = self.logger
        try await client.withConnection { conn in
            guard let name = try await conn.value(PostgresQuery(unsafeSQL: "SELECT \(Self.topicChannelSQL)"), as: String.self, logger: logger) else { return }
            try await conn.listen(on: name) { notifications in
                for try await n in notifications { heard(n.payload) }
            }
        }
    }
}

private extension Int32 {
    var asInt: Int { Int(self) }
}

extension PostgresOutboxStore {
    /// Audit: how many attempts of `channel` were started under lease `token` after `afterMillis`
    /// (a stale owner must start none once it lost the channel).
    public func attemptsUnderToken(channel: String, token: Int64, startedAfter afterMillis: Int64) async throws(StoreError) -> Int {
        try await read { conn in
            try await conn.value("""
                SELECT count(*) FROM attempts WHERE channel = \(channel) AND claim_token = \(token) AND at > \(afterMillis) AND outcome <> 'unknown_outcome'
                """, as: Int64.self, logger: self.logger).map(Int.init) ?? 0
        }
    }
}
