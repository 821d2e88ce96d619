/// Per-channel throughput as the API counts it: by when requests *arrive*, in any sliding
/// second. Never more than `limit` requests may arrive in any window of one second.
///
/// The daemon cannot see arrivals, only when it hands a request to its connection (the
/// transport reports that moment, `written(_:at:)`). An arrival follows its write by the
/// network's delay, which varies; `guardNanos` is the part of that variation the window
/// covers: if every arrival comes between 0 and `guardNanos` after the reported write, a
/// one-second window of arrivals holds only requests written within one second plus the
/// guard, so capping writes at `limit` per `1 s + guard` caps arrivals at `limit` per second.
/// The cost is throughput: at most `limit × 1 s / (1 s + guard)` per second (10 ms: 99 %).
///
/// Two rules:
/// - **Slots on a fixed grid**, `(1 s + guard) / limit` apart. A start takes the slot it is
///   due in. A start late by up to `lateness` (one slot, at least 10 ms: a busy CPU wakes the
///   worker late) keeps the grid; slots missed by a longer stall of the host are lost, never
///   spent later in a burst, so no burst after a stall is more than 10 ms of the rate. (At 5 ms,
///   a release build at 1,000 mps on a loaded 2-core host lost 2 % of its slots to wake-ups
///   6-9 ms late, which are a busy scheduler's, not stalls; the write-time window below keeps
///   the cap whatever the grid allows.)
/// - **An exact sliding window over write times**: a request started but not yet reported
///   written counts in every window (it will be written at some time from now on), so the
///   cap holds however late the write comes. A request that never left (no connection) is
///   given back with `abandoned(_:)`.
///
/// Pure: the caller passes `now` (nanoseconds of its clock) and reports what happened.
public struct ArrivalWindow: Sendable {
    /// One started request, until it is reported written or abandoned.
    public struct Ticket: Sendable, Hashable {
        public let id: UInt64
    }

    /// Requests per sliding second at the API; 0 means no limit.
    public private(set) var limit: Int
    /// How much later than its reported write a request may arrive and still be counted right.
    public let guardNanos: Int64
    /// The next slot of the grid: a start may go at this time or later.
    private var nextSlot: Int64 = .min
    /// Started requests not reported yet, with their start times.
    private var pending: [UInt64: Int64] = [:]
    /// Reported write times still inside the window, ascending.
    private var written: [Int64] = []
    private var firstWritten = 0
    private var lastTicket: UInt64 = 0

    public init(limit: Int, guardNanos: Int64 = 10 * Nanos.perMillisecond) {
        self.limit = max(0, limit)
        self.guardNanos = min(max(0, guardNanos), Nanos.perSecond)
    }

    /// The window the cap applies to, in write times.
    public var windowNanos: Int64 { Nanos.perSecond + guardNanos }

    /// The distance between slots.
    public var slotNanos: Int64 { limit > 0 ? (windowNanos + Int64(limit) - 1) / Int64(limit) : 0 }

    /// How late a start may be and still keep the grid (see the type's doc).
    public var latenessNanos: Int64 { max(slotNanos, 10 * Nanos.perMillisecond) }

    /// Requests started and not yet reported written or abandoned.
    public var pendingCount: Int { pending.count }

    /// The earliest time a new request may start: `now` or earlier means go; nil means not
    /// until a pending request is reported (the window is full of requests not yet written).
    public mutating func nextAllowed(now: Int64) -> Int64? {
        guard limit > 0 else { return now }
        prune(now: now)
        let free = limit - pending.count
        guard free > 0 else { return nil }
        var allowed = max(now, nextSlot)
        let inWindow = written.count - firstWritten
        if inWindow >= free {
            // The oldest write that would make the window too full must have left it first.
            let blocking = written[written.count - free]
            allowed = max(allowed, TimeMath.add(blocking, windowNanos))
        }
        return allowed
    }

    /// Records a start at `now`; call only when `nextAllowed(now:)` is `now` or earlier.
    public mutating func start(now: Int64) -> Ticket {
        lastTicket += 1
        let ticket = Ticket(id: lastTicket)
        guard limit > 0 else { return ticket }
        pending[ticket.id] = now
        if nextSlot == .min || TimeMath.subtract(now, nextSlot) > latenessNanos {
            // Idle, or a stall: the missed slots are lost.
            nextSlot = TimeMath.add(now, slotNanos)
        } else {
            nextSlot = TimeMath.add(nextSlot, slotNanos)
        }
        return ticket
    }

    /// The transport handed the request to its connection at `at`.
    public mutating func written(_ ticket: Ticket, at: Int64) {
        guard let started = pending.removeValue(forKey: ticket.id) else { return }
        insert(max(at, started))
    }

    /// The request finished; if the transport never reported its write, it counts as written
    /// when it started (transports without that report).
    public mutating func finished(_ ticket: Ticket) {
        guard let started = pending.removeValue(forKey: ticket.id) else { return }
        insert(started)
    }

    /// The request never left (no connection could be made): it takes no place in the window.
    public mutating func abandoned(_ ticket: Ticket) {
        pending[ticket.id] = nil
    }

    /// Changes the limit; the recent writes still count, so the cap holds across the change.
    public mutating func setLimit(_ newLimit: Int) {
        limit = max(0, newLimit)
        if limit == 0 { pending = [:] }
    }

    private mutating func insert(_ t: Int64) {
        // Reports come nearly in order: find the place from the end.
        var i = written.count
        while i > firstWritten, written[i - 1] > t { i -= 1 }
        written.insert(t, at: i)
    }

    private mutating func prune(now: Int64) {
        let horizon = TimeMath.subtract(now, windowNanos)
        while firstWritten < written.count, written[firstWritten] <= horizon { firstWritten += 1 }
        if firstWritten > 1024, firstWritten * 2 > written.count {
            written.removeFirst(firstWritten)
            firstWritten = 0
        }
    }
}
