/// How many of a channel's staged import rows to turn into messages now: enough to keep
/// `lookahead` messages queued ahead of the channel's sending, in transactions of at most
/// `chunk` rows (each holds the one writer while it runs, so a submission waits at most one).
/// Pure: the expander asks it with the queue it counted.
public struct StagingPlan: Sendable, Equatable {
    /// Queued messages the expander keeps ahead of each channel: at 1,000 msg/s, 20 s of sending.
    public var lookahead: Int
    /// Most rows expanded in one transaction.
    public var chunk: Int

    public init(lookahead: Int = 20_000, chunk: Int = 2_000) {
        self.lookahead = max(1, lookahead)
        self.chunk = max(1, chunk)
    }

    /// Rows to expand now for a channel with `queued` messages queued (counted up to
    /// `lookahead`) and `staged` rows staged, one count for all of them: counting the queue
    /// again after every chunk would make a large lookahead cost its square.
    public func rowsToExpand(queued: Int, staged: Int) -> Int {
        guard staged > 0, queued < lookahead else { return 0 }
        return min(lookahead - max(0, queued), staged)
    }

    /// When to count a channel's queue again, `queued` messages queued now (after expanding):
    /// not before it can have drained to half the lookahead at the channel's most
    /// `ratePerSecond`, so it never runs dry, and counting it (a walk of up to `lookahead`
    /// index entries; every 200 ms that was a sixth of the daemon's CPU during an import) is
    /// rare. Between `minMillis` and `maxMillis`; `ratePerSecond` 0 is a channel without a
    /// limit (`messages_per_second = 0`), counted again after `minMillis`.
    public func recountDelayMillis(queued: Int, ratePerSecond: Int, minMillis: Int64 = 200, maxMillis: Int64 = 30_000) -> Int64 {
        guard ratePerSecond > 0 else { return max(0, minMillis) }
        let spare = Int64(max(0, queued - lookahead / 2))
        let millis = spare.multipliedReportingOverflow(by: 1_000).overflow ? maxMillis : spare * 1_000 / Int64(max(1, ratePerSecond))
        return min(max(millis, minMillis), max(minMillis, maxMillis))
    }

    /// The transactions of `rows` rows expanded: `chunk` at a time.
    public func chunks(of rows: Int) -> [Int] {
        stride(from: 0, to: max(0, rows), by: chunk).map { min(chunk, rows - $0) }
    }
}
