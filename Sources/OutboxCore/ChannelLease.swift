/// A channel lease row as a daemon reads it: who sends the channel, under which fencing
/// token, and how often it has been renewed (what contenders watch change).
public struct LeaseObservation: Sendable, Equatable {
    /// The owning daemon's id; nil when the lease is free (released, or never taken).
    public var owner: String?
    /// +1 at every acquisition, never reused: every write about the channel's sending carries it.
    public var token: Int64
    /// +1 at every renewal and release.
    public var renewals: Int64

    public init(owner: String?, token: Int64, renewals: Int64) {
        self.owner = owner
        self.token = token
        self.renewals = renewals
    }
}

/// Timings of channel leases, all on each daemon's own monotonic clock: no decision reads
/// another machine's clock, so clock offsets between hosts do not matter.
public struct LeaseTimings: Sendable, Equatable {
    /// A lease not seen renewed for this long may be taken over.
    public var ttlMillis: Int64
    /// The owner starts nothing later than `ttl - margin` after its last renewal began, so its
    /// last start comes before any takeover; the margin covers the time from the trust check
    /// to the bytes on the wire (a connection set-up, bounded by `connect_timeout`).
    public var marginMillis: Int64
    /// A new owner's first start waits this long after it acquired the lease: with the old
    /// owner's last start before the takeover, no sliding second sees both owners' requests.
    public var handoverMillis: Int64 = 1_000

    public init(ttlMillis: Int64, marginMillis: Int64, handoverMillis: Int64 = 1_000) {
        self.ttlMillis = ttlMillis
        self.marginMillis = marginMillis
        self.handoverMillis = handoverMillis
    }

    /// Renew this often (a fifth of the ttl), so a few lost renewals cost no trust.
    public var renewEveryMillis: Int64 { max(1, ttlMillis / 5) }
}

/// A contender's view of one channel it does not own: the client-go rule. It remembers when
/// it first saw the row's current `(owner, token, renewals)` and takes the lease over only
/// after that stayed unchanged for a whole ttl on its own clock; a free lease it takes at once.
public struct LeaseContender: Sendable, Equatable {
    public let me: String
    public let timings: LeaseTimings
    private var seen: LeaseObservation?
    private var seenSinceMillis: Int64 = 0

    public init(me: String, timings: LeaseTimings) {
        self.me = me
        self.timings = timings
    }

    public enum Action: Sendable, Equatable {
        /// This daemon owns the lease (the owner's loop renews it).
        case owned(token: Int64)
        /// Compare-and-set the row from `expecting` to this daemon: free, or its owner stopped renewing.
        case acquire(expecting: LeaseObservation)
        /// Another daemon's lease is alive as far as this one can tell: look again by then.
        case wait(untilMillis: Int64)
    }

    /// What to do after reading the row at monotonic `nowMillis`.
    public mutating func observe(_ o: LeaseObservation, nowMillis: Int64) -> Action {
        if o.owner == me { return .owned(token: o.token) }
        guard o.owner != nil else { return .acquire(expecting: o) }
        if o != seen {
            seen = o
            seenSinceMillis = nowMillis
        }
        let deadline = TimeMath.add(seenSinceMillis, timings.ttlMillis)
        return nowMillis >= deadline ? .acquire(expecting: o) : .wait(untilMillis: deadline)
    }
}

/// The owner's side of one lease: until when it may start requests. Trust runs from the
/// start of the last successful renewal (or the acquisition), never from its end, and lapses
/// `margin` before a contender could take over.
public struct LeaseTrust: Sendable, Equatable {
    public let timings: LeaseTimings
    public private(set) var token: Int64
    /// The first start this owner may make (the handover gap after acquisition).
    public let firstStartMillis: Int64
    public private(set) var trustedUntilMillis: Int64

    /// A lease acquired by a compare-and-set that started at monotonic `startedMillis`.
    public init(token: Int64, acquiredStartedMillis startedMillis: Int64, timings: LeaseTimings) {
        self.timings = timings
        self.token = token
        self.firstStartMillis = TimeMath.add(startedMillis, timings.handoverMillis)
        self.trustedUntilMillis = TimeMath.add(startedMillis, timings.ttlMillis - timings.marginMillis)
    }

    /// A renewal that started at `startedMillis` succeeded (the row still had this token).
    public mutating func renewed(startedMillis: Int64) {
        trustedUntilMillis = max(trustedUntilMillis, TimeMath.add(startedMillis, timings.ttlMillis - timings.marginMillis))
    }

    /// Whether a request may start at `nowMillis`: checked right before each start.
    public func mayStart(nowMillis: Int64) -> Bool { nowMillis >= firstStartMillis && nowMillis < trustedUntilMillis }

    /// Trust lapsed (renewals failing): stop starting, finish and record what is in flight,
    /// release unstarted claims, and keep renewing; a renewal that finds another token drops the channel.
    public func lapsed(nowMillis: Int64) -> Bool { nowMillis >= trustedUntilMillis }
}
