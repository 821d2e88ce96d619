/// A channel's hold after the API's spam rate limit (131048, 471): too many of its earlier
/// messages were blocked or reported. Retrying every minute would deepen the problem, so the
/// channel's normal and bulk traffic waits for an escalating time (15 min, 1 h, then 6 h) and
/// its rate is lowered; high-priority messages still go unless the limit repeats. Pure: the
/// store keeps it and the claim asks it which priorities are held.
public struct SpamHold: Sendable, Equatable {
    /// 1 for the first limit, higher each time it repeats within `memoryMillis`.
    public var level: Int
    /// When this level began (the answer or status that raised it).
    public var sinceMillis: Int64
    /// When the held traffic may go again.
    public var untilMillis: Int64

    public init(level: Int, sinceMillis: Int64, untilMillis: Int64) {
        self.level = level
        self.sinceMillis = sinceMillis
        self.untilMillis = untilMillis
    }

    /// Hold length per level; the last one repeats.
    public static let stepsMillis: [Int64] = [15 * 60_000, 60 * 60_000, 6 * 60 * 60_000]
    /// A limit within this time of the last level's start escalates; after it, it starts over.
    public static let memoryMillis: Int64 = 24 * 60 * 60_000
    /// Levels stop counting here (the hold stays at its longest step).
    static let maxLevel = 16

    /// The hold after a spam limit answered at `nowMillis` to a request that started at
    /// `requestStartedMillis`. A request that started before the current level began belongs
    /// to the same episode (it was in flight, or its status came late): nothing changes.
    /// - Returns: nil when the hold in force stays as it is.
    public static func after(_ previous: SpamHold?, requestStartedMillis: Int64, nowMillis: Int64) -> SpamHold? {
        var level = 1
        if let previous, nowMillis < TimeMath.add(previous.sinceMillis, memoryMillis) {
            if requestStartedMillis < previous.sinceMillis { return nil }
            level = min(previous.level + 1, maxLevel)
        }
        let step = stepsMillis[min(level, stepsMillis.count) - 1]
        return SpamHold(level: level, sinceMillis: nowMillis, untilMillis: TimeMath.add(nowMillis, step))
    }

    /// Whether messages of `priority` wait at `nowMillis`: normal and bulk while the hold
    /// lasts; high too from the second level on (the limit repeated).
    public func holds(_ priority: Priority, nowMillis: Int64) -> Bool {
        guard nowMillis < untilMillis else { return false }
        return priority != .high || level >= 2
    }

    /// For `last_error`, stats and the log.
    public var reason: String {
        "spam rate limit: normal and bulk traffic held until \(RFC3339.format(millis: untilMillis)) (level \(level))"
            + (level >= 2 ? ", high priority too: the limit repeated" : "")
    }
}

