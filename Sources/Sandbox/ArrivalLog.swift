/// When one key's requests arrived, as the API would count them: the time each request's
/// head was read (before its body), whatever the answer. From it the exact sliding-window
/// figures: the busiest second, `(t − 1 s, t]` for any t, and how many windows held more
/// than a limit.
///
/// Times may be recorded slightly out of order (each request stamps its own arrival before it
/// takes the state's lock), so they are sorted when the figures are asked for, which is rare
/// (`GET /sandbox/stats`). The log keeps the last `capacity` arrivals.
struct ArrivalLog: Sendable {
    /// The figures of the sliding windows over the kept arrivals.
    struct Figures: Sendable, Equatable {
        /// Most arrivals in any one-second window.
        var busiest: Int
        /// Windows (one ending at each arrival) that held more than the limit; nil without a limit.
        var over: Int?
        /// Arrivals the figures cover.
        var count: Int
    }

    static let capacity = 1 << 20
    private var times: [Int64] = []

    mutating func record(_ t: Int64) {
        if times.count >= Self.capacity { times.removeFirst(Self.capacity / 2) }
        times.append(t)
    }

    /// The figures, counting windows over `limit` when it is above 0.
    func figures(limit: Int) -> Figures {
        let sorted = times.sorted()
        var busiest = 0
        var over = 0
        var lo = 0
        for hi in sorted.indices {
            while sorted[hi] - sorted[lo] >= 1_000_000_000 { lo += 1 }
            let n = hi - lo + 1
            busiest = max(busiest, n)
            if limit > 0, n > limit { over += 1 }
        }
        return Figures(busiest: busiest, over: limit > 0 ? over : nil, count: sorted.count)
    }
}
