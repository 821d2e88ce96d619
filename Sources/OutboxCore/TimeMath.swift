/// Saturating and checked time arithmetic: the only way the daemon adds, multiplies and
/// converts times. Swift's `+`, `*` and `Int64(Double)` trap on overflow, NaN and infinity, and
/// a time that came from outside (a submission, a webhook, an API header, the config) must
/// never be able to stop the process; here such values pin to `Int64.min`/`Int64.max`
/// ("never"/"long ago"), which every caller reads as "not yet" or "already". Values are
/// also bounded where they enter (`TimeBounds`), so these limits are a second line.
public enum TimeMath {
    /// `a + b`, pinned to `Int64.min...Int64.max`.
    @inline(__always)
    public static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (r, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : r
    }

    /// `a - b`, pinned to `Int64.min...Int64.max`.
    @inline(__always)
    public static func subtract(_ a: Int64, _ b: Int64) -> Int64 {
        let (r, overflow) = a.subtractingReportingOverflow(b)
        return overflow ? (b < 0 ? .max : .min) : r
    }

    /// `a * b`, pinned to `Int64.min...Int64.max`.
    @inline(__always)
    public static func multiply(_ a: Int64, _ b: Int64) -> Int64 {
        let (r, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? ((a < 0) == (b < 0) ? .max : .min) : r
    }

    /// Milliseconds (the database's unit) as nanoseconds (the clock's unit); a time past
    /// 2262 (where Int64 nanoseconds end) becomes `Int64.max`, "never".
    @inline(__always)
    public static func nanos(millis: Int64) -> Int64 { multiply(millis, Nanos.perMillisecond) }

    /// Nanoseconds as milliseconds (rounded toward zero; cannot overflow).
    @inline(__always)
    public static func millis(nanos: Int64) -> Int64 { nanos / Nanos.perMillisecond }

    /// Seconds as milliseconds, pinned.
    @inline(__always)
    public static func millis(seconds: Int64) -> Int64 { multiply(seconds, 1_000) }

    /// `value` rounded to a whole number and pinned to the Int64 range: `+inf` and anything
    /// at or above 2^63 give `Int64.max`, `-inf` and below give `Int64.min`; NaN gives nil,
    /// because it is no number at all.
    public static func int64(_ value: Double, rounding rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero) -> Int64? {
        guard !value.isNaN else { return nil }
        let r = value.rounded(rule)
        // 2^63 is exactly representable; every Double below it converts without trapping.
        if r >= 9_223_372_036_854_775_808.0 { return .max }
        if r < -9_223_372_036_854_775_808.0 { return .min }
        return Int64(r)
    }
}

/// The bounds a time from outside must keep before it is stored or used.
public enum TimeBounds {
    /// How far ahead `not_before` and `expires_at` may lie: 366 days (a year, leap day
    /// included). Nothing is scheduled further out; a year like "2300" is a typo, and beyond
    /// 2262 nanosecond clocks end.
    public static let horizonMillis: Int64 = 366 * 86_400_000

    /// How far ahead of our clock a webhook's `timestamp` may be before it is not believed:
    /// 24 hours covers any clock skew. A later one is kept clamped to now (with a note), so it
    /// cannot open a window for longer than a real message would.
    public static let webhookFutureSkewMillis: Int64 = 86_400_000

    /// Checks a requested time against the horizon; the reason names the limit.
    public static func checkHorizon(_ millis: Int64, nowMillis: Int64) -> String? {
        let latest = TimeMath.add(nowMillis, horizonMillis)
        guard millis > latest else { return nil }
        return "is more than 366 days ahead (latest allowed now: \(RFC3339.format(millis: latest)))"
    }

    /// A webhook `timestamp` made safe to use: a value later than now plus the skew allowance
    /// becomes now. An old one stays: it only says the window is closed.
    public static func webhookTimestamp(_ millis: Int64?, nowMillis: Int64) -> Int64? {
        guard let millis else { return nil }
        return millis > TimeMath.add(nowMillis, webhookFutureSkewMillis) ? nowMillis : millis
    }
}
