import Foundation
import OutboxCore
import Synchronization

/// Milliseconds on this host's monotonic clock: every lease decision uses it, never a wall
/// clock (another host's, or this one's after an NTP step).
enum Monotonic {
    static func nanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    static func millis() -> Int64 { nanos() / 1_000_000 }
}

/// One channel lease this daemon holds: the fencing token its claims carry and the trust its
/// worker checks right before each start (`LeaseTrust`). The keeper renews it; the worker
/// reads it. Lost is final: the worker stops, and a new acquisition makes a new lease.
final class ChannelLease: Sendable {
    let channel: String
    let daemon: String
    let token: Int64
    private let trust: Mutex<(trust: LeaseTrust, lost: Bool)>
    private let now: @Sendable () -> Int64

    init(channel: String, daemon: String, token: Int64, acquiredStartedMillis: Int64, timings: LeaseTimings,
         now: @escaping @Sendable () -> Int64 = Monotonic.millis) {
        self.channel = channel
        self.daemon = daemon
        self.token = token
        self.now = now
        trust = Mutex((LeaseTrust(token: token, acquiredStartedMillis: acquiredStartedMillis, timings: timings), false))
    }

    var isLost: Bool { trust.withLock { $0.lost } }

    /// Another daemon holds the channel now (a renewal or a fenced claim found another token).
    func markLost() { trust.withLock { $0.lost = true } }

    /// A renewal that started at monotonic `startedMillis` found the token unchanged.
    func renewed(startedMillis: Int64) { trust.withLock { $0.trust.renewed(startedMillis: startedMillis) } }

    /// nil when a request may start now; else how long to hold off: until the handover gap
    /// ends, or a short look-again while trust has lapsed (renewals failing).
    func holdOffMillis() -> Int64? {
        let t = now()
        return trust.withLock { s -> Int64? in
            if s.lost { return 1_000 }
            if s.trust.mayStart(nowMillis: t) { return nil }
            if t < s.trust.firstStartMillis { return s.trust.firstStartMillis - t }
            return max(1, s.trust.timings.renewEveryMillis / 2)
        }
    }
}
