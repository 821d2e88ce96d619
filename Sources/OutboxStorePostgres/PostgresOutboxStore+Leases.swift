import OutboxCore
import OutboxStore
import PostgresNIO

/// Channel leases: which daemon sends each channel, under a fencing token (scale-out.md §4.3).
/// Every decision about time is the caller's (`LeaseContender`, `LeaseTrust`, on its own
/// monotonic clock); these statements only compare-and-set rows.
extension PostgresOutboxStore {
    /// The lease rows of `channels` (created free when missing).
    public func observeLeases(_ channels: [String]) async throws(StoreError) -> [String: LeaseObservation] {
        try await write { conn in
            try await conn.exec("INSERT INTO channel_leases (channel) SELECT unnest(\(channels)::text[]) ON CONFLICT DO NOTHING", logger: self.logger)
            var out: [String: LeaseObservation] = [:]
            for r in try await conn.rows("SELECT channel, owner, token, renewals FROM channel_leases WHERE channel = ANY(\(channels))", logger: self.logger) {
                out[try r.get("channel")] = LeaseObservation(owner: try r.get("owner"), token: try r.get("token"), renewals: try r.get("renewals"))
            }
            return out
        }
    }

    /// Takes the lease from the state the contender saw (free, or an owner that stopped
    /// renewing). In the same transaction, every message the previous owners left in `sending`
    /// becomes an unknown outcome that waits `unknownWaitMillis` for a status (its request may
    /// or may not have reached the API), as a restart does on one node.
    /// - Returns: the new token, or nil when the row changed meanwhile (someone renewed or won).
    ///
    /// A takeover waits at most a second for the old owner's locks (the lease row its claim
    /// shares, its messages' rows). Still held, the owner is frozen inside a transaction
    /// (SIGSTOP, a VM pause) and would hold them until the server's idle timeout: its sessions
    /// are ended (`fenceOut`) and the takeover tried once more. A daemon that is only slow
    /// keeps its sessions.
    public func acquireLease(channel: String, daemon: String, expecting seen: LeaseObservation, mps: Int?, nowMillis: Int64,
                             unknownWaitMillis: Int64, pairIntervalMillis: Int64 = 0) async throws(StoreError) -> Int64? {
        guard let owner = seen.owner, owner != daemon else {
            return try await takeLease(channel: channel, daemon: daemon, expecting: seen, mps: mps, nowMillis: nowMillis,
                                       unknownWaitMillis: unknownWaitMillis, pairIntervalMillis: pairIntervalMillis, lockWait: nil)
        }
        do {
            return try await takeLease(channel: channel, daemon: daemon, expecting: seen, mps: mps, nowMillis: nowMillis,
                                       unknownWaitMillis: unknownWaitMillis, pairIntervalMillis: pairIntervalMillis, lockWait: "1s")
        } catch where error.isLockTimeout {
            let ended = await fenceOut(daemon: owner)
            logger.notice("the daemon whose lease is taken over holds locks; ended its database sessions",
                          metadata: ["channel": "\(channel)", "from": "\(owner)", "sessions": "\(ended)"])
            return try await takeLease(channel: channel, daemon: daemon, expecting: seen, mps: mps, nowMillis: nowMillis,
                                       unknownWaitMillis: unknownWaitMillis, pairIntervalMillis: pairIntervalMillis, lockWait: nil)
        }
    }

    private func takeLease(channel: String, daemon: String, expecting seen: LeaseObservation, mps: Int?, nowMillis: Int64,
                           unknownWaitMillis: Int64, pairIntervalMillis: Int64, lockWait: String?) async throws(StoreError) -> Int64? {
        try await write { conn in
            if let lockWait { try await conn.exec(PostgresQuery(unsafeSQL: "SET LOCAL lock_timeout = '\(lockWait)'"), logger: self.logger) }
            guard let token = try await conn.value("""
                UPDATE channel_leases SET owner = \(daemon), token = token + 1, renewals = renewals + 1, mps = \(mps),
                       acquired_at = \(nowMillis), renewed_at = \(nowMillis)
                WHERE channel = \(channel) AND token = \(seen.token) AND renewals = \(seen.renewals) AND owner IS NOT DISTINCT FROM \(seen.owner)
                RETURNING token
                """, as: Int64.self, logger: self.logger) else { return nil }
            let detail = "the daemon sending this channel stopped renewing its lease mid-request"
            let rows = try await conn.rows("""
                SELECT id, recipient, updated_at, claim_token FROM messages
                WHERE channel = \(channel) AND state = 'sending' AND NOT awaiting_settlement AND coalesce(claim_token, 0) < \(token)
                FOR UPDATE
                """, logger: self.logger)
            for r in rows {
                let id: Int64 = try r.get("id")
                try await conn.exec("""
                    INSERT INTO attempts (message_id, channel, at, outcome, error_title, error_details, claim_token)
                    VALUES (\(id), \(channel), \(try r.get("updated_at", as: Int64.self)), 'unknown_outcome', 'outcome unknown', \(detail), \(try r.get("claim_token", as: Int64?.self)))
                    """, logger: self.logger)
                try await conn.exec("""
                    UPDATE messages SET awaiting_settlement = true, due_at = \(nowMillis + unknownWaitMillis), attempts = attempts + 1, updated_at = \(nowMillis),
                           last_error = \("outcome unknown: " + detail)
                    WHERE id = \(id)
                    """, logger: self.logger)
                // Its request may have reached the API just now: the recipient's next one waits a
                // pair interval, as it would after a recorded answer (a status that settles it
                // writes no hold).
                if pairIntervalMillis > 0 {
                    try await self.hold(conn, channel: channel, recipient: try r.get("recipient"), untilMillis: nowMillis + pairIntervalMillis)
                }
                try await self.logEvent(conn, .unknownOutcome, channel: channel, messageID: id, at: nowMillis, data: [
                    "detail": .string(detail), "settle_by": .string(RFC3339.format(millis: nowMillis + unknownWaitMillis)),
                ])
            }
            return token
        }
    }

    /// Renews every lease `held` names (channel → token) in one statement.
    /// - Returns: the channels still owned; one missing was lost to another daemon.
    public func renewLeases(_ held: [String: Int64], daemon: String, nowMillis: Int64) async throws(StoreError) -> Set<String> {
        guard !held.isEmpty else { return [] }
        let channels = Array(held.keys), tokens = channels.map { held[$0]! }
        return try await write { conn in
            Set(try await conn.rows("""
                UPDATE channel_leases l SET renewals = l.renewals + 1, renewed_at = \(nowMillis)
                FROM unnest(\(channels)::text[], \(tokens)::bigint[]) AS held(channel, token)
                WHERE l.channel = held.channel AND l.token = held.token AND l.owner = \(daemon)
                RETURNING l.channel
                """, logger: self.logger).map { try $0.get("channel", as: String.self) })
        }
    }

    /// Gives the lease up (a graceful stop, after the drain): a contender may take it at once.
    public func releaseLease(channel: String, daemon: String, token: Int64) async throws(StoreError) {
        try await write { conn in
            try await conn.exec("""
                UPDATE channel_leases SET owner = NULL, renewals = renewals + 1 WHERE channel = \(channel) AND owner = \(daemon) AND token = \(token)
                """, logger: self.logger)
        }
    }

    /// A claim fenced by the lease: it starts by share-locking the lease row as this owner with
    /// this token (a takeover waits for the claim, then sees its rows), takes nothing when the
    /// lease is gone, and stamps each claimed row with the token.
    /// - Throws: `StoreError.leaseLost` when another daemon holds the channel now.
    public func claim(channel: String, nowMillis: Int64, limit: Int, rules: RecipientRules, reach: MessagingLimit?,
                      fence: (daemon: String, token: Int64)) async throws(StoreError) -> [ClaimedMessage] {
        try await claim(channel: channel, nowMillis: nowMillis, limit: limit, rules: rules, reach: reach, fenceBy: fence)
    }
}
