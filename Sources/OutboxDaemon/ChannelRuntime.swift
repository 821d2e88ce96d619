import OutboxCore
import OutboxStore
import Synchronization

/// A channel's live state, shared by its worker (which sends), the socket API (which rings
/// it on new work and reads its figures) and stats. Small and synchronous: a `Mutex`.
final class ChannelRuntime: Sendable {
    struct Figures {
        var pause: ChannelPause?
        var inFlight = 0
        var sent = RollingCounter()
        var failed = RollingCounter()
        var started = RollingCounter(seconds: 60)
        var adaptive: AdaptiveRate
    }

    let config: ChannelConfig
    let doorbell = Doorbell()
    private let figures: Mutex<Figures>

    init(config: ChannelConfig, pause: ChannelPause?, savedRate: Int? = nil) {
        self.config = config
        figures = Mutex(Figures(pause: pause, adaptive: AdaptiveRate(configured: config.messagesPerSecond, current: savedRate)))
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

    var name: String { config.name }

    /// The pause in force at `nowMillis`; a timed pause that has run out is lifted here.
    func pause(nowMillis: Int64) -> ChannelPause? {
        figures.withLock { f in
            if let p = f.pause, let until = p.untilMillis, until <= nowMillis { f.pause = nil }
            return f.pause
        }
    }

    func setPause(_ pause: ChannelPause?) {
        figures.withLock { $0.pause = pause }
        doorbell.ring()
    }

    var inFlight: Int { figures.withLock { $0.inFlight } }

    func started(atMillis: Int64) {
        figures.withLock {
            $0.inFlight += 1
            $0.started.add(atMillis: atMillis)
        }
    }

    func finished(_ outcome: AttemptOutcome, decision: SendDecision, atMillis: Int64) {
        figures.withLock { f in
            f.inFlight -= 1
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
            if outcome == .accepted { f.sent.add(atMillis: atMillis) }
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
}
