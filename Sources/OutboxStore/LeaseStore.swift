import OutboxCore

/// A channel lease as `stats` shows it.
public struct LeaseRow: Sendable, Equatable {
    public var channel: String
    /// nil: free.
    public var owner: String?
    public var token: Int64
    /// The owner's configured rate, for spotting configuration drift between daemons.
    public var mps: Int?
    /// When the owner took it, on the owner's wall clock (for operators only).
    public var acquiredMillis: Int64?
    public var renewedMillis: Int64?

    public init(channel: String, owner: String?, token: Int64, mps: Int?, acquiredMillis: Int64?, renewedMillis: Int64?) {
        (self.channel, self.owner, self.token, self.mps, self.acquiredMillis, self.renewedMillis) = (channel, owner, token, mps, acquiredMillis, renewedMillis)
    }
}

/// A daemon's heartbeat row: who runs where, since when.
public struct DaemonRow: Sendable, Equatable {
    public var id: String
    public var host: String
    public var pid: Int
    public var startedMillis: Int64
    /// The daemon's wall clock at its last beat (for operators; liveness is judged by `beats` changing).
    public var beatMillis: Int64
    public var beats: Int64

    public init(id: String, host: String, pid: Int, startedMillis: Int64, beatMillis: Int64, beats: Int64) {
        (self.id, self.host, self.pid, self.startedMillis, self.beatMillis, self.beats) = (id, host, pid, startedMillis, beatMillis, beats)
    }
}

/// An outbox several daemons share (PostgreSQL): channel leases with fencing tokens, daemon
/// heartbeats, and wake-ups between daemons. Every decision about time is the caller's
/// (`LeasePlanner`, `LeaseTrust`, on its own monotonic clock); these only compare-and-set rows.
public protocol LeaseStore: OutboxStore {
    /// The lease rows of `channels` (created free when missing).
    func observeLeases(_ channels: [String]) async throws(StoreError) -> [String: LeaseObservation]

    /// Takes the lease from the state the contender saw; in the same transaction the previous
    /// owners' messages still `sending` become unknown outcomes waiting `unknownWaitMillis`.
    /// - Returns: the new token, or nil when the row changed meanwhile.
    func acquireLease(channel: String, daemon: String, expecting seen: LeaseObservation, mps: Int?, nowMillis: Int64,
                      unknownWaitMillis: Int64, pairIntervalMillis: Int64) async throws(StoreError) -> Int64?

    /// Renews every lease `held` names (channel → token) in one statement; returns those still owned.
    func renewLeases(_ held: [String: Int64], daemon: String, nowMillis: Int64) async throws(StoreError) -> Set<String>

    /// Gives the lease up (after the worker drained): a contender may take it at once.
    func releaseLease(channel: String, daemon: String, token: Int64) async throws(StoreError)

    /// The claim, fenced: nothing is taken unless this daemon holds the lease with this token,
    /// and each row taken carries the token (`ClaimedMessage.claimToken`).
    /// - Throws: `StoreError.leaseLost` when another daemon holds the channel now.
    func claim(channel: String, nowMillis: Int64, limit: Int, rules: RecipientRules, reach: MessagingLimit?,
               fence: (daemon: String, token: Int64)) async throws(StoreError) -> [ClaimedMessage]

    /// Puts unstarted claims back in the queue, only rows still carrying `token`.
    func release(_ ids: [Int64], nowMillis: Int64, token: Int64) async throws(StoreError)

    /// Upserts this daemon's heartbeat (one more beat) and returns every daemon's row.
    func beat(_ me: DaemonRow) async throws(StoreError) -> [DaemonRow]

    /// Deletes heartbeat rows (this daemon's at a graceful stop, dead daemons' leftovers).
    func forgetDaemons(_ ids: [String]) async throws(StoreError)

    /// Every lease row, for `stats`, `/v1/channels` and health.
    func leases() async throws(StoreError) -> [LeaseRow]

    /// Tells the other daemons that these channels have news (submissions, statuses, a
    /// resume) or, with a `lease:` prefix, that a lease was released. Best effort, after commit.
    func announce(_ topics: Set<String>) async

    /// Runs until cancelled, calling `heard` with each topic another daemon announced; returns
    /// (throws) when the listening connection is lost, so the caller can listen again.
    func listen(_ heard: @escaping @Sendable (String) -> Void) async throws
}
