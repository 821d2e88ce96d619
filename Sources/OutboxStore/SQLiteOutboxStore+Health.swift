import GRDB
import Synchronization

extension SQLiteOutboxStore {
    /// When the API last accepted a request of `channel`, looking back to `sinceMillis` at most
    /// (newest first through the attempts' time index, so an active channel costs one row).
    public func lastAccepted(channel: String, sinceMillis: Int64) async throws(StoreError) -> Int64? {
        try await read { db in
            try Int64.fetchOne(db, sql: """
                SELECT at FROM attempts WHERE at >= ? AND channel = ? AND outcome = 'accepted' ORDER BY at DESC LIMIT 1
                """, arguments: [sinceMillis, channel])
        }
    }

    /// Whether the database takes writes now: nil when it does, else why not (disk full,
    /// read-only, locked by another process, I/O error).
    ///
    /// The daemon's own writes say it first: each records whether it committed. When none
    /// ran for `WriteTracker.trustMillis`, a probe writes one tiny row of `meta` instead,
    /// waiting at most `WriteTracker.probeBusyMillis` for a lock another process holds; probes
    /// run one at a time, at most once per `WriteTracker.probeEveryMillis`.
    public func writeProblem() async -> String? {
        let now = ContinuousClock.now
        let (cached, probe) = writes.withLock { w -> (WriteTracker.Outcome?, Bool) in
            if let last = w.lastWrite, now - last.at < .milliseconds(WriteTracker.trustMillis) { return (last, false) }
            if let p = w.lastProbe, now - p.at < .milliseconds(WriteTracker.probeEveryMillis) { return (p, false) }
            if w.probing { return (w.lastProbe ?? w.lastWrite, false) }
            w.probing = true
            return (nil, true)
        }
        guard probe else { return cached.flatMap { $0.ok ? nil : $0.reason } }
        let outcome: WriteTracker.Outcome
        do {
            try await pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA busy_timeout = \(WriteTracker.probeBusyMillis)")
                defer { try? db.execute(sql: "PRAGMA busy_timeout = \(Self.busyTimeoutMillis)") }
                try db.inTransaction(.immediate) {
                    try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('write_probe', 'ok') ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                    return .commit
                }
            }
            outcome = .init(ok: true, reason: nil, at: ContinuousClock.now)
        } catch {
            let e = StoreError(error)
            let reason: String = switch e {
            case .unavailable(let why): why
            default: "\(e)"
            }
            outcome = .init(ok: false, reason: reason, at: ContinuousClock.now)
        }
        writes.withLock { w in
            w.lastProbe = outcome
            w.probing = false
        }
        return outcome.ok ? nil : outcome.reason
    }
}

/// What the daemon's writes and probe writes found, for `writeProblem`.
struct WriteTracker: Sendable {
    struct Outcome: Sendable {
        var ok: Bool
        var reason: String?
        var at: ContinuousClock.Instant
    }

    /// The last write of the daemon's own (claims, records, submissions, inbox).
    var lastWrite: Outcome?
    /// The last probe write.
    var lastProbe: Outcome?
    var probing = false

    /// A real write this recent is the answer; no probe is needed.
    static let trustMillis: Int64 = 1_000
    /// Probes at most this often.
    static let probeEveryMillis: Int64 = 1_000
    /// A probe waits at most this long for another process's lock (real writes wait 5 s).
    static let probeBusyMillis = 250
}
