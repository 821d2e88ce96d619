/// One key's accepted messages per recipient: the pair rule's state (how far each recipient
/// is paid back) and the smallest gap seen between two accepted messages to one recipient.
///
/// Kept whether or not the pair rule is on, so the gap statistic is always there and turning
/// the rule on mid-run sees the earlier messages. Times are nanoseconds (the sandbox clock).
/// Memory stays bounded: once the book holds `pruneFloor` recipients it forgets, whenever its
/// size doubles, those paid back and silent for `gapHorizon`; so a gap longer than that may
/// go unseen in the statistic, and the book holds about twice the recipients of one horizon.
struct PairBook: Sendable {
    /// One recipient's standing: the current burst, which is paid back `burstCount` intervals
    /// after it started (the interval in force when asked, so changing it applies at once).
    struct Entry: Sendable {
        /// When the last message to the recipient was accepted.
        var lastAccepted: Int64
        /// When the current burst started, and how many accepted messages it holds.
        var burstStart: Int64
        var burstCount: Int64

        /// Saturates instead of overflowing (a long interval times a long trickle).
        func paidBack(interval: Int64) -> Int64 {
            let (owed, overflow) = burstCount.multipliedReportingOverflow(by: interval)
            let (at, late) = burstStart.addingReportingOverflow(owed)
            return overflow || late ? .max : at
        }
    }

    /// How long a silent, paid-back recipient is remembered for the gap statistic: one minute.
    static let gapHorizon: Int64 = 60 * 1_000_000_000
    /// Size below which the book never prunes.
    static let pruneFloor = 4096

    private var entries: [UInt64: Entry] = [:]
    private var pruneAt = PairBook.pruneFloor
    /// Smallest gap between two accepted messages to one recipient, in nanoseconds; nil until
    /// some recipient got two.
    private(set) var minGap: Int64?

    /// Recipients remembered now.
    var count: Int { entries.count }

    /// Whether the pair rule lets a message to `recipient` go at `now`: yes when the
    /// recipient's earlier messages are paid back, or during a burst that has room left.
    func allows(_ recipient: UInt64, now: Int64, interval: Int64, burst: Int) -> Bool {
        guard let entry = entries[recipient], now < entry.paidBack(interval: interval) else { return true }
        return burst > 1 && now - entry.burstStart < interval && entry.burstCount < Int64(burst)
    }

    /// Notes a message to `recipient` accepted at `now` (whether the rule let it or was off).
    mutating func record(_ recipient: UInt64, now: Int64, interval: Int64) {
        let size = entries.count
        let old = entries[recipient]
        if let old, now - old.lastAccepted < minGap ?? .max {
            minGap = now - old.lastAccepted
        }
        if var entry = old, now < entry.paidBack(interval: interval) {
            entry.lastAccepted = now
            entry.burstCount += 1
            entries[recipient] = entry
        } else {
            entries[recipient] = Entry(lastAccepted: now, burstStart: now, burstCount: 1)
        }
        if size >= pruneAt {
            prune(now: now, interval: interval)
        }
    }

    /// Forgets recipients that are paid back and silent for `gapHorizon`.
    private mutating func prune(now: Int64, interval: Int64) {
        entries = entries.filter { now < $0.value.paidBack(interval: interval) || now - $0.value.lastAccepted <= Self.gapHorizon }
        pruneAt = max(Self.pruneFloor, entries.count * 2)
    }

    /// A recipient's digits as a number, tagged with their count so "049…" and "49…" differ;
    /// a cheap dictionary key. The sandbox accepts at most 15 digits, which fit.
    static func id(digits: String) -> UInt64 {
        var value: UInt64 = 0
        var count: UInt64 = 0
        for byte in digits.utf8 where byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
            value = value &* 10 &+ UInt64(byte - UInt8(ascii: "0"))
            count += 1
        }
        return value &<< 5 | (count & 31)
    }
}
