/// The channel worker's decisions as a state machine: when to claim and how many, when each
/// claimed message starts, when to wait and for how long, when to give claims back, and what
/// to do while the API cannot be reached. The worker (`ChannelWorker`) carries out the
/// actions and reports what happened; time is passed in, so every decision is tested
/// without a clock.
///
/// Claims run in the background while earlier claims are still being sent, so a claim (a
/// durable transaction) never leaves a gap in the starts: the worker keeps about 100 ms of
/// work claimed ahead on a limited channel. Starts follow `ArrivalWindow`; the outage state
/// follows `Reachability`.
public struct ChannelPacer: Sendable {
    /// What the worker should do next.
    public enum Action: Sendable, Equatable {
        /// Start the first claimed message now; report it with `written`/`finished` under `ticket`.
        case start(ArrivalWindow.Ticket)
        /// Claim up to `limit` due messages, in the background; report with `claimed` (and
        /// ring when it brought messages: the loop may be waiting for them).
        case claim(limit: Int)
        /// Put every claimed, unstarted message back in the queue; report with `released`.
        case release
        /// Sleep until `until`: a pacing gap, too short to be worth waking early.
        case pace(until: Int64)
        /// Wait until `until` or until something happens (new work, a send finished, a resume).
        case wait(until: Int64)
        /// Stopping, and nothing is claimed: leave the loop (in-flight requests drain after).
        case stop
    }

    /// Waits longer than this are `wait`s, which new work can cut short; shorter ones `pace`.
    public static let paceLimitNanos: Int64 = 20 * Nanos.perMillisecond
    /// How long to look again when a wait has nothing to wait for but a report.
    static let reportPollNanos: Int64 = 5 * Nanos.perMillisecond

    public private(set) var window: ArrivalWindow
    public private(set) var reachability: Reachability
    /// Requests open at once, at most.
    public var maxInFlight: Int
    /// Claimed messages not started yet.
    public private(set) var buffered = 0
    /// Requests started and not finished.
    public private(set) var inFlight = 0
    /// A claim is running.
    public private(set) var claiming = false
    /// After a claim found nothing: no claim before this, unless something happens (`woke`).
    public private(set) var idleUntil: Int64?
    /// Something happened while a claim ran: it may have missed it, so claim again.
    private var wokeWhileClaiming = false

    public init(window: ArrivalWindow, reachability: Reachability = Reachability(), maxInFlight: Int) {
        self.window = window
        self.reachability = reachability
        self.maxInFlight = max(1, maxInFlight)
    }

    /// How many messages a limited channel keeps claimed ahead: about 100 ms worth.
    var target: Int {
        window.limit > 0 ? max(1, window.limit / 10) : maxInFlight
    }

    /// The next action at `now`. `pausedUntil` is when a pause of the channel ends (nil: not
    /// paused); `stopping` when the worker is to stop.
    public mutating func next(now: Int64, pausedUntil: Int64?, stopping: Bool) -> Action {
        let soon = TimeMath.add(now, Nanos.perSecond)
        // A claim that finds nothing does not ring: look again soon while one runs.
        let claimPoll = TimeMath.add(now, Self.reportPollNanos)
        if stopping || pausedUntil != nil {
            // Give back what was claimed, once no claim can still add to it.
            if claiming { return .wait(until: claimPoll) }
            if buffered > 0 { return .release }
            if stopping { return .stop }
            return .wait(until: pausedUntil ?? soon)
        }
        if reachability.isUnreachable, !reachability.mayStart(now: now) {
            // Nothing but a probe goes while the API cannot be reached: hold no claims.
            if claiming { return .wait(until: claimPoll) }
            if buffered > 0 { return .release }
            return .wait(until: reachability.nextProbe ?? soon)
        }
        if !claiming, idleUntil.map({ now >= $0 }) ?? true, let n = claimSize() {
            claiming = true
            idleUntil = nil
            return .claim(limit: n)
        }
        if buffered > 0, inFlight < maxInFlight {
            guard let allowed = window.nextAllowed(now: now) else {
                return .wait(until: TimeMath.add(now, Self.reportPollNanos))
            }
            if allowed > now {
                return allowed - now <= Self.paceLimitNanos ? .pace(until: allowed) : .wait(until: allowed)
            }
            buffered -= 1
            inFlight += 1
            let ticket = window.start(now: now)
            reachability.started(id: ticket.id)
            return .start(ticket)
        }
        if buffered == 0, !claiming, let idleUntil { return .wait(until: idleUntil) }
        return .wait(until: claiming && buffered == 0 ? claimPoll : soon)
    }

    /// How many to claim now, or nil for no claim.
    private func claimSize() -> Int? {
        if reachability.isUnreachable {
            // The probe: one message, and only once nothing else is claimed.
            return buffered == 0 ? 1 : nil
        }
        guard inFlight < maxInFlight else { return nil }
        if window.limit > 0 {
            // Claim again when about half of the 100 ms claimed ahead is left.
            return buffered <= target / 2 ? target - buffered : nil
        }
        // Unlimited: claim in batches, once a quarter of the slots is free.
        let free = maxInFlight - inFlight - buffered
        return buffered == 0 && free >= max(1, maxInFlight / 4) ? free : nil
    }

    /// A claim finished with `count` messages; when it found none, `nextDue` is when one may
    /// be (a due time, or the end of a hold), nil if none is known.
    /// - Returns: whether the worker should look again at once (ring its doorbell): the claim
    ///   brought messages, or something happened while it ran that it may have missed. The
    ///   loop may be waiting for the claim with a short deadline; a clock that does not move
    ///   (a test's) would otherwise leave it waiting.
    @discardableResult
    public mutating func claimed(_ count: Int, nextDue: Int64?) -> Bool {
        claiming = false
        buffered += max(0, count)
        let woke = wokeWhileClaiming
        if count <= 0, !woke { idleUntil = nextDue ?? .max }
        wokeWhileClaiming = false
        return count > 0 || woke
    }

    /// A claim failed (the database): try again at `retryAt`.
    public mutating func claimFailed(retryAt: Int64) {
        claiming = false
        wokeWhileClaiming = false
        idleUntil = retryAt
    }

    /// The claimed, unstarted messages went back to the queue.
    public mutating func released() {
        buffered = 0
    }

    /// Something happened that may have brought work (the doorbell rang): an idle worker
    /// claims again; a claim running now may have missed it, so its empty result is no reason
    /// to idle.
    public mutating func woke() {
        if claiming { wokeWhileClaiming = true }
        idleUntil = nil
    }

    /// The transport handed `ticket`'s request to its connection at `at`.
    public mutating func written(_ ticket: ArrivalWindow.Ticket, at: Int64) {
        window.written(ticket, at: at)
    }

    /// `ticket`'s request finished at `now`; returns a change of reachability, if it was one.
    public mutating func finished(_ ticket: ArrivalWindow.Ticket, fate: Reachability.Fate, now: Int64) -> Reachability.Change? {
        inFlight = max(0, inFlight - 1)
        if fate == .notReached { window.abandoned(ticket) } else { window.finished(ticket) }
        return reachability.finished(id: ticket.id, fate, now: now)
    }

    /// The channel's rate changed (adaptive throughput, a reload).
    public mutating func setLimit(_ limit: Int) {
        window.setLimit(limit)
    }
}
