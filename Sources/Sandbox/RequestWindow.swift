/// Request start times of the last second, for the throughput limit and its statistics.
///
/// The window ending at `now` is (now − 1 s, now]. Times are nanoseconds of the sandbox clock
/// and must be recorded in order, which holds because the ledger reads them under the state's
/// lock and never lets them go back.
struct RequestWindow: Sendable {
    private var starts: [Int64] = []
    private var first = 0
    /// Most requests ever seen in one window; every window that can hold a maximum ends at a
    /// recorded request, so checking at each record finds the true maximum.
    private(set) var peak = 0

    /// Requests in the window ending at `now`.
    mutating func count(at now: Int64) -> Int {
        let horizon = now - 1_000_000_000
        while first < starts.count, starts[first] <= horizon {
            first += 1
        }
        if first > 1024, first * 2 > starts.count {
            starts.removeFirst(first)
            first = 0
        }
        return starts.count - first
    }

    /// Adds a request started at `now` and returns the window's count including it.
    @discardableResult
    mutating func record(_ now: Int64) -> Int {
        let before = count(at: now)
        starts.append(now)
        peak = max(peak, before + 1)
        return before + 1
    }
}
