/// When each user last wrote to each key's number (simulated inbound messages), for the
/// window rule. Kept whether or not the rule is on, so turning it on mid-run honours earlier
/// messages. Times are nanoseconds of the sandbox clock; recipients are `PairBook.id(digits:)`.
///
/// Bounded: once it holds `pruneFloor` users it forgets, whenever its size doubles, those
/// whose last message is older than the window in force.
struct WindowBook: Sendable {
    static let pruneFloor = 4096

    private var lastInbound: [String: [UInt64: Int64]] = [:]
    private var size = 0
    private var pruneAt = WindowBook.pruneFloor

    /// Notes that `user` wrote to `key`'s number at `now`.
    mutating func record(key: String, user: UInt64, now: Int64, window: Int64) {
        if lastInbound[key, default: [:]].updateValue(now, forKey: user) == nil {
            size += 1
        }
        if size >= pruneAt {
            for k in lastInbound.keys {
                lastInbound[k] = lastInbound[k]?.filter { now - $0.value < window }
            }
            size = lastInbound.values.reduce(0) { $0 + $1.count }
            pruneAt = max(Self.pruneFloor, size * 2)
        }
    }

    /// Whether `user` wrote to `key`'s number less than `window` before `now`.
    func isOpen(key: String, user: UInt64, now: Int64, window: Int64) -> Bool {
        guard let last = lastInbound[key]?[user] else { return false }
        return now - last < window
    }

    mutating func removeAll() {
        lastInbound = [:]
        size = 0
        pruneAt = Self.pruneFloor
    }
}
