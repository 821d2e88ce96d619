import OutboxCore
import OutboxStore
import Synchronization
import WhatsApp

/// A channel's live state, shared by its worker (which sends), the socket API (which rings
/// it on new work and reads its figures) and stats. Small and synchronous: a `Mutex`.
final class ChannelRuntime: Sendable {
    /// The channel's API cannot be reached (its worker's `Reachability`): since when, and why.
    struct Unreachable: Sendable, Equatable {
        var sinceMillis: Int64
        var reason: String
    }

    struct Figures {
        var pause: ChannelPause?
        /// A timed pause lifted here that the store has not been told of yet.
        var lifted: ChannelPause?
        var inFlight = 0
        var sent = RollingCounter()
        var failed = RollingCounter()
        var started = RollingCounter(seconds: 60)
        var adaptive: AdaptiveRate
        /// When the API last accepted a request of this channel (`/v1/health`).
        var lastSentMillis: Int64?
        /// The last probe of 360dialog's health endpoint, when `health_probe` is on.
        var probe: HealthProbeResult?
        /// Set while requests do not reach the API: the worker claims nothing and probes.
        var unreachable: Unreachable?
    }

    /// Never changes: a renamed channel is another channel.
    let name: String
    let doorbell = Doorbell()
    private let figures: Mutex<Figures>
    /// Replaced by a reload; the worker reads it once per claim.
    private let settings: Mutex<ChannelConfig>

    init(config: ChannelConfig, pause: ChannelPause?, savedRate: Int? = nil, lastSentMillis: Int64? = nil) {
        name = config.name
        settings = Mutex(config)
        figures = Mutex(Figures(pause: pause, adaptive: AdaptiveRate(configured: config.messagesPerSecond, current: savedRate),
                                lastSentMillis: lastSentMillis))
    }

    /// The channel's settings now: a copy, so one claim step works with one consistent set.
    var config: ChannelConfig { settings.withLock { $0 } }

    /// A reload changed the channel's settings: the next claim uses them (requests in flight
    /// finish with the old key). A new `messages_per_second` replaces the adaptive ceiling.
    func update(_ config: ChannelConfig) {
        precondition(config.name == name, "a runtime keeps its channel's name")
        let old = settings.withLock { s in defer { s = config }; return s }
        if old.messagesPerSecond != config.messagesPerSecond {
            figures.withLock { f in f.adaptive = AdaptiveRate(configured: config.messagesPerSecond, current: f.adaptive.current) }
        }
        doorbell.ring()
    }

    /// The API said the channel sends too fast: slow down (multiplicatively).
    func throttled(nowMillis: Int64) {
        figures.withLock { f in
            let observed = Double(f.started.sum(lastSeconds: 2, nowMillis: nowMillis)) / 2
            f.adaptive.throttled(nowMillis: nowMillis, observedRate: observed)
        }
    }

    /// The limit in force now, after climbing back (additively) where it is due.
    func currentLimit(nowMillis: Int64) -> (limit: Int, adaptive: Int?) {
        figures.withLock { f in
            f.adaptive.tick(nowMillis: nowMillis)
            return (f.adaptive.limit, f.adaptive.current)
        }
    }

    /// The pause in force at `nowMillis`; a timed pause that has run out is lifted here.
    func pause(nowMillis: Int64) -> ChannelPause? {
        figures.withLock { f in
            if let p = f.pause, let until = p.untilMillis, until <= nowMillis {
                f.pause = nil
                f.lifted = p
            }
            return f.pause
        }
    }

    /// The timed pause lifted since the last call, if any, taken once: the worker writes the
    /// lift to the store (with its `resumed` event), so a restart and the feed agree.
    func takeLiftedPause() -> ChannelPause? {
        figures.withLock { f in
            defer { f.lifted = nil }
            return f.lifted
        }
    }

    func setPause(_ pause: ChannelPause?) {
        figures.withLock { $0.pause = pause }
        doorbell.ring()
    }

    var inFlight: Int { figures.withLock { $0.inFlight } }

    /// Whether (since when, why) the channel's API cannot be reached.
    var unreachable: Unreachable? { figures.withLock { $0.unreachable } }

    func setUnreachable(_ state: Unreachable?) {
        figures.withLock { $0.unreachable = state }
    }

    func started(atMillis: Int64) {
        figures.withLock {
            $0.inFlight += 1
            $0.started.add(atMillis: atMillis)
        }
    }

    func finished(_ outcome: AttemptOutcome, decision: SendDecision, atMillis: Int64) {
        figures.withLock { f in
            f.inFlight -= 1
            if outcome == .accepted { f.lastSentMillis = max(f.lastSentMillis ?? 0, atMillis) }
            switch decision {
            case .sent: f.sent.add(atMillis: atMillis)
            case .fail: f.failed.add(atMillis: atMillis)
            default: break
            }
        }
        doorbell.ring()
    }

    /// Seeds the rolling counters from the audit trail at start-up.
    func seed(outcome: AttemptOutcome, atMillis: Int64) {
        figures.withLock { f in
            if outcome == .accepted {
                f.sent.add(atMillis: atMillis)
                f.lastSentMillis = max(f.lastSentMillis ?? 0, atMillis)
            }
            if outcome == .permanentError { f.failed.add(atMillis: atMillis) }
        }
    }

    func snapshot(nowMillis: Int64) -> (sent1m: Int, failed1m: Int, sent1h: Int, failed1h: Int, rate: Double, inFlight: Int, limit: Int) {
        figures.withLock { f in
            (f.sent.sum(lastSeconds: 60, nowMillis: nowMillis), f.failed.sum(lastSeconds: 60, nowMillis: nowMillis),
             f.sent.sum(lastSeconds: 3600, nowMillis: nowMillis), f.failed.sum(lastSeconds: 3600, nowMillis: nowMillis),
             Double(f.started.sum(lastSeconds: 10, nowMillis: nowMillis - 1000)) / 10, f.inFlight, f.adaptive.limit)
        }
    }

    /// Whether a request started in the last minute.
    func startedRecently(nowMillis: Int64) -> Bool {
        figures.withLock { $0.started.sum(lastSeconds: 60, nowMillis: nowMillis) > 0 }
    }

    /// When the API last accepted a request of this channel.
    var lastSentMillis: Int64? { figures.withLock { $0.lastSentMillis } }

    var probe: HealthProbeResult? { figures.withLock { $0.probe } }

    func setProbe(_ result: HealthProbeResult) { figures.withLock { $0.probe = result } }

    /// The last accepted request found in the audit trail (the health prober seeds it after start).
    func seedLastSent(atMillis: Int64) {
        figures.withLock { f in f.lastSentMillis = max(f.lastSentMillis ?? 0, atMillis) }
    }
}
