#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The daemon's only source of time. Times are wall-clock nanoseconds since 1970, so the
/// deadlines stored in SQLite (milliseconds) survive a restart; tests pass a manual clock.
public protocol OutboxClock: Sendable {
    /// Now, in nanoseconds since 1970.
    func now() -> Int64
    /// Suspends until `deadline` (nanoseconds since 1970); throws when the task is cancelled.
    func sleep(until deadline: Int64) async throws
}

extension OutboxClock {
    /// Now, in milliseconds since 1970, the unit stored in the database.
    public func nowMillis() -> Int64 { now() / 1_000_000 }
}

/// The real clock: `CLOCK_REALTIME` and `Task.sleep`.
public struct SystemClock: OutboxClock {
    public init() {}

    public func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    public func sleep(until deadline: Int64) async throws {
        let delta = TimeMath.subtract(deadline, now())
        if delta > 0 { try await Task.sleep(nanoseconds: UInt64(delta)) } else { try Task.checkCancellation() }
    }
}

public enum Nanos {
    public static let perMillisecond: Int64 = 1_000_000
    public static let perSecond: Int64 = 1_000_000_000
}
