import OutboxCore
import Testing

@Suite("Channel pacer: claims, waits, pauses, outages")
struct ChannelPacerActionTests {
    let t0: Int64 = 1_000 * Nanos.perSecond

    func pacer(limit: Int = 1000, maxInFlight: Int = 64, threshold: Int = 3) -> ChannelPacer {
        ChannelPacer(window: ArrivalWindow(limit: limit), reachability: Reachability(threshold: threshold, firstProbeNanos: Nanos.perSecond,
                                                                                     maxProbeNanos: 8 * Nanos.perSecond),
                     maxInFlight: maxInFlight)
    }

    @Test("a limited channel claims about 100 ms ahead, and again when half of it is left")
    func claimSizes() {
        var p = pacer(limit: 1000)
        #expect(p.next(now: t0, pausedUntil: nil, stopping: false) == .claim(limit: 100))
        // While the claim runs, nothing to start: wait for it.
        guard case .wait = p.next(now: t0, pausedUntil: nil, stopping: false) else { Issue.record("expected a wait"); return }
        p.claimed(100, nextDue: nil)
        var now = t0
        var starts = 0
        var claims: [Int] = []
        while starts < 60 {
            switch p.next(now: now, pausedUntil: nil, stopping: false) {
            case .start(let ticket):
                starts += 1
                p.written(ticket, at: now)
                _ = p.finished(ticket, fate: .answered, now: now)
            case .claim(let n): claims.append(n)
            case .pace(let until), .wait(let until): now = until
            default: Issue.record("unexpected action")
            }
        }
        #expect(claims == [50])
    }

    @Test("a claim that found nothing waits until the next due time, or until woken")
    func idle() {
        var p = pacer()
        _ = p.next(now: t0, pausedUntil: nil, stopping: false)
        p.claimed(0, nextDue: t0 + 5 * Nanos.perSecond)
        #expect(p.next(now: t0, pausedUntil: nil, stopping: false) == .wait(until: t0 + 5 * Nanos.perSecond))
        p.woke()
        #expect(p.next(now: t0 + 1, pausedUntil: nil, stopping: false) == .claim(limit: 100))
    }

    @Test("after a claim the worker looks again at once when it brought messages, or when something woke it while it ran")
    func lookAgain() {
        var p = pacer()
        _ = p.next(now: t0, pausedUntil: nil, stopping: false)
        #expect(p.claimed(0, nextDue: t0 + 5 * Nanos.perSecond) == false)  // nothing new: it idles by itself
        p.woke()
        #expect(p.next(now: t0, pausedUntil: nil, stopping: false) == .claim(limit: 100))
        p.woke()  // a submission rang while the claim ran: it may have read before that commit
        #expect(p.claimed(0, nextDue: t0 + 5 * Nanos.perSecond) == true)
        #expect(p.next(now: t0, pausedUntil: nil, stopping: false) == .claim(limit: 100))
        #expect(p.claimed(3, nextDue: nil) == true)
    }

    @Test("paused: what is claimed goes back, then it waits for the pause to end")
    func paused() {
        var p = pacer()
        _ = p.next(now: t0, pausedUntil: nil, stopping: false)
        p.claimed(40, nextDue: nil)
        let until = t0 + 60 * Nanos.perSecond
        #expect(p.next(now: t0, pausedUntil: until, stopping: false) == .release)
        p.released()
        #expect(p.next(now: t0, pausedUntil: until, stopping: false) == .wait(until: until))
    }

    @Test("stopping: waits for a running claim, gives back what it claimed, then stops")
    func stopping() {
        var p = pacer()
        _ = p.next(now: t0, pausedUntil: nil, stopping: false)
        guard case .wait = p.next(now: t0, pausedUntil: nil, stopping: true) else { Issue.record("expected a wait for the claim"); return }
        p.claimed(10, nextDue: nil)
        #expect(p.next(now: t0, pausedUntil: nil, stopping: true) == .release)
        p.released()
        #expect(p.next(now: t0, pausedUntil: nil, stopping: true) == .stop)
    }

    @Test("max_in_flight bounds the open requests")
    func maxInFlight() {
        var p = pacer(limit: 0, maxInFlight: 4)
        _ = p.next(now: t0, pausedUntil: nil, stopping: false)
        p.claimed(4, nextDue: nil)
        var tickets: [ArrivalWindow.Ticket] = []
        while case .start(let t) = p.next(now: t0, pausedUntil: nil, stopping: false) { tickets.append(t) }
        #expect(tickets.count == 4)
        #expect(p.inFlight == 4)
        _ = p.finished(tickets[0], fate: .answered, now: t0)
        #expect(p.next(now: t0, pausedUntil: nil, stopping: false) == .claim(limit: 1))
    }

    @Test("requests that never reach the API: unreachable after the threshold, claims stop, claimed ones go back")
    func becomesUnreachable() {
        var p = pacer(limit: 0, threshold: 3)
        _ = p.next(now: t0, pausedUntil: nil, stopping: false)
        p.claimed(10, nextDue: nil)
        var tickets: [ArrivalWindow.Ticket] = []
        var now = t0
        while tickets.count < 3 {
            switch p.next(now: now, pausedUntil: nil, stopping: false) {
            case .start(let t): tickets.append(t)
            case .pace(let until), .wait(let until): now = until
            default: break
            }
        }
        #expect(p.finished(tickets[0], fate: .notReached, now: now) == nil)
        #expect(p.finished(tickets[1], fate: .notReached, now: now) == nil)
        #expect(p.finished(tickets[2], fate: .notReached, now: now) == .unreachable)
        #expect(p.reachability.isUnreachable)
        #expect(p.next(now: now, pausedUntil: nil, stopping: false) == .release)
        p.released()
        #expect(p.next(now: now, pausedUntil: nil, stopping: false) == .wait(until: now + Nanos.perSecond))
    }

    @Test("unreachable: one probe at a time, backoff doubling to its cap, and the first answer resumes")
    func probes() {
        var p = pacer(limit: 0, threshold: 1)
        _ = p.next(now: t0, pausedUntil: nil, stopping: false)
        p.claimed(1, nextDue: nil)
        guard case .start(let first) = p.next(now: t0, pausedUntil: nil, stopping: false) else { Issue.record("expected a start"); return }
        #expect(p.finished(first, fate: .notReached, now: t0) == .unreachable)
        var now = t0
        var gaps: [Int64] = []
        var last = t0
        for _ in 0..<6 {
            guard case .wait(let until) = p.next(now: now, pausedUntil: nil, stopping: false) else { Issue.record("expected a wait"); return }
            now = until
            #expect(p.next(now: now, pausedUntil: nil, stopping: false) == .claim(limit: 1))
            p.claimed(1, nextDue: nil)
            guard case .start(let probe) = p.next(now: now, pausedUntil: nil, stopping: false) else { Issue.record("expected the probe"); return }
            // Only one probe at a time.
            if case .claim = p.next(now: now, pausedUntil: nil, stopping: false) { Issue.record("a second probe") }
            gaps.append(now - last)
            last = now
            _ = p.finished(probe, fate: .notReached, now: now)
        }
        #expect(gaps.map { $0 / Nanos.perSecond } == [1, 1, 2, 4, 8, 8])
        // The API answers the next probe: the channel is reachable and claims in full again.
        guard case .wait(let until) = p.next(now: now, pausedUntil: nil, stopping: false) else { return }
        now = until
        _ = p.next(now: now, pausedUntil: nil, stopping: false)
        p.claimed(1, nextDue: nil)
        guard case .start(let probe) = p.next(now: now, pausedUntil: nil, stopping: false) else { return }
        #expect(p.finished(probe, fate: .answered, now: now + 5) == .reachable(afterNanos: now + 5 - t0))
        #expect(p.next(now: now + 5, pausedUntil: nil, stopping: false) == .claim(limit: 64))
    }

    @Test("an answer of any kind resets the count; an unknown outcome leaves it")
    func resets() {
        var r = Reachability(threshold: 2)
        #expect(r.finished(id: 1, .notReached, now: 0) == nil)
        #expect(r.finished(id: 2, .answered, now: 0) == nil)
        #expect(r.finished(id: 3, .notReached, now: 0) == nil)
        #expect(r.finished(id: 4, .unknown, now: 0) == nil)
        #expect(r.finished(id: 5, .notReached, now: 0) == .unreachable)
    }
}
