/// Event counts per second over the last hour, for "sent in the last minute" figures.
/// Pure: the caller passes `nowMillis`.
public struct RollingCounter: Sendable {
    private var buckets: [Int32]
    private var bucketSecond: [Int64]

    public init(seconds: Int = 3600) {
        buckets = Array(repeating: 0, count: seconds)
        bucketSecond = Array(repeating: -1, count: seconds)
    }

    public mutating func add(_ n: Int = 1, atMillis: Int64) {
        let second = atMillis / 1000
        let i = Int(second % Int64(buckets.count))
        if bucketSecond[i] != second {
            bucketSecond[i] = second
            buckets[i] = 0
        }
        buckets[i] += Int32(n)
    }

    /// Events in the last `seconds` seconds, the current one included.
    public func sum(lastSeconds seconds: Int, nowMillis: Int64) -> Int {
        let now = nowMillis / 1000
        var total = 0
        for s in (now - Int64(min(seconds, buckets.count)) + 1)...now {
            let i = Int(((s % Int64(buckets.count)) + Int64(buckets.count)) % Int64(buckets.count))
            if bucketSecond[i] == s { total += Int(buckets[i]) }
        }
        return total
    }
}
