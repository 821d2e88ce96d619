/// Per-channel throughput limiter: never more than `limit` starts in any one-second window,
/// spread smoothly over the second.
///
/// Two rules together: a GCRA (generic cell rate algorithm) spaces starts `1/limit` apart with a
/// small burst tolerance, which keeps the rate steady; a log of the last `limit` start times
/// makes the one-second cap exact, so a burst on top of a steady rate can never exceed it.
/// Pure: the caller passes `now` (nanoseconds) and records each start it makes.
public struct RateLimiter: Sendable {
    /// Starts per second; 0 means no limit.
    public private(set) var limit: Int
    /// How far ahead of the steady schedule a start may be, as a fraction of a second.
    public let burstSeconds: Double

    private var theoreticalArrival: Int64 = 0
    private var ring: [Int64]
    private var head = 0
    private var count = 0

    public init(limit: Int, burstSeconds: Double = 0.05) {
        self.limit = max(0, limit)
        self.burstSeconds = burstSeconds
        self.ring = Array(repeating: 0, count: max(1, limit))
    }

    private var interval: Int64 { limit > 0 ? Nanos.perSecond / Int64(limit) : 0 }

    /// The earliest time a new start is allowed; `now` or earlier means go.
    public func nextAllowed(now: Int64) -> Int64 {
        guard limit > 0 else { return now }
        let tolerance = Int64(burstSeconds * Double(Nanos.perSecond))
        var allowed = theoreticalArrival - tolerance
        if count >= limit {
            // The start `limit` places back must have left the one-second window.
            let oldest = ring[(head + ring.count - limit) % ring.count]
            allowed = max(allowed, oldest + Nanos.perSecond)
        }
        return max(allowed, now)
    }

    /// Records a start at `now`; call only when `nextAllowed(now:) <= now`.
    public mutating func record(now: Int64) {
        guard limit > 0 else { return }
        theoreticalArrival = max(theoreticalArrival, now) + interval
        ring[head] = now
        head = (head + 1) % ring.count
        count = min(count + 1, ring.count)
    }

    /// Changes the limit, keeping the recent history so the cap still holds across the change.
    public mutating func setLimit(_ newLimit: Int) {
        let newLimit = max(0, newLimit)
        guard newLimit != limit else { return }
        let history = recent()
        limit = newLimit
        ring = Array(repeating: 0, count: max(1, newLimit))
        head = 0
        count = 0
        for t in history.suffix(ring.count) {
            ring[head] = t
            head = (head + 1) % ring.count
            count += 1
        }
        if newLimit == 0 { theoreticalArrival = 0 }
    }

    private func recent() -> [Int64] {
        (0..<count).map { ring[(head + ring.count - count + $0) % ring.count] }
    }
}
