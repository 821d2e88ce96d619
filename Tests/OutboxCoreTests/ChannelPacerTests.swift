import OutboxCore
import Testing

@Suite("Channel pacer: the rate as the API counts arrivals")
struct ChannelPacerTests {
    @Test("never more than the limit arrives in any sliding second, with stalls and jitter; at least 98 % of the limit",
          arguments: [80, 200, 1000])
    func arrivalsBounded(limit: Int) {
        // Stalls of 10-50 ms, one every 5 s on average (about 0.6 % of the time), as GC-like pauses.
        for seed in UInt64(1)...3 {
            var sim = PacingSimulation(.init(limit: limit, seed: seed))
            let run = sim.run()
            #expect(run.busiestArrivalSecond <= limit, "seed \(seed): \(run.busiestArrivalSecond) arrivals in one second")
            // What is lost is the guard's share and the slots of the stalled time, no more.
            let ceiling = Double(limit) / 1.01 * (1 - run.stalled)
            #expect(run.averageRate >= 0.995 * ceiling, "seed \(seed): \(run.averageRate) per second, stalled \(run.stalled)")
            #expect(run.averageRate >= 0.98 * Double(limit), "seed \(seed): \(run.averageRate) per second, stalled \(run.stalled)")
        }
    }

    @Test("a busy scheduler (wake-ups 5-10 ms late, many a second) costs no slots and keeps the bound", arguments: [200, 1000])
    func busyScheduler(limit: Int) {
        // What a release build met on a 2-core host at load 5: dozens of wake-ups 6-9 ms late
        // in 12 s. Modelled as short stalls every 100 ms on average.
        var sim = PacingSimulation(.init(limit: limit, stallEveryNanos: 100 * Nanos.perMillisecond,
                                         stallNanos: (5 * Nanos.perMillisecond)...(9 * Nanos.perMillisecond), seed: 11))
        let run = sim.run()
        #expect(run.busiestArrivalSecond <= limit)
        #expect(run.averageRate >= 0.98 * Double(limit), "\(run.averageRate) per second, stalled \(run.stalled)")
    }

    @Test("frequent long stalls of the host (60-120 ms) and writes held back by them still keep the bound")
    func longStalls() {
        var sim = PacingSimulation(.init(limit: 200, stallEveryNanos: 150 * Nanos.perMillisecond,
                                         stallNanos: (60 * Nanos.perMillisecond)...(120 * Nanos.perMillisecond), seed: 7))
        let run = sim.run()
        #expect(run.busiestArrivalSecond <= 200)
        // Every stall loses its slots: the average falls short by the time spent stalled.
        #expect(run.averageRate < 200 * 0.9)
    }

    @Test("a slot missed in a stall is lost: no burst after it")
    func noCatchUp() {
        // Given a 100 mps window that started a request at t = 0
        var window = ArrivalWindow(limit: 100, guardNanos: 10 * Nanos.perMillisecond)
        let t0: Int64 = 1_000 * Nanos.perSecond
        let first = window.start(now: t0)
        window.written(first, at: t0)
        // When the host stalls for 100 ms (ten slots)
        var now = t0 + 100 * Nanos.perMillisecond
        var starts: [Int64] = []
        // Then starts after it are one slot apart, as before the stall
        while starts.count < 5 {
            let allowed = window.nextAllowed(now: now)!
            now = max(now, allowed)
            let ticket = window.start(now: now)
            window.written(ticket, at: now)
            starts.append(now)
        }
        let gaps = zip(starts.dropFirst(), starts).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 >= window.slotNanos }, "gaps \(gaps)")
    }

    @Test("a request started but not reported written counts in every window")
    func pendingCounts() {
        var window = ArrivalWindow(limit: 3, guardNanos: 0)
        let t0: Int64 = 1_000 * Nanos.perSecond
        var now = t0
        for _ in 0..<3 {
            now = max(now, window.nextAllowed(now: now)!)
            _ = window.start(now: now)
        }
        // Three pending, none written: nothing more may start, however long we wait.
        #expect(window.nextAllowed(now: t0 + 10 * Nanos.perSecond) == nil)
    }

    @Test("writes reported late keep the cap on write times: a window of 1 s + guard holds at most the limit")
    func lateReports() {
        var window = ArrivalWindow(limit: 10, guardNanos: 20 * Nanos.perMillisecond)
        let t0: Int64 = 1_000 * Nanos.perSecond
        var now = t0
        var tickets: [ArrivalWindow.Ticket] = []
        for _ in 0..<10 {
            now = max(now, window.nextAllowed(now: now)!)
            tickets.append(window.start(now: now))
        }
        // All ten are written together, late, at the end of a stall.
        let late = now + 50 * Nanos.perMillisecond
        for t in tickets { window.written(t, at: late) }
        let next = window.nextAllowed(now: late)!
        #expect(next >= late + window.windowNanos)
    }

    @Test("a request that never left takes no place")
    func abandonedFreesItsPlace() {
        var window = ArrivalWindow(limit: 1, guardNanos: 0)
        let t0: Int64 = 1_000 * Nanos.perSecond
        let ticket = window.start(now: t0)
        window.abandoned(ticket)
        #expect(window.nextAllowed(now: t0 + window.slotNanos) == t0 + window.slotNanos)
    }

    @Test("the guard's cost: a backlog gets limit x 1 s / (1 s + guard)")
    func guardCost() {
        var sim = PacingSimulation(.init(limit: 1000, guardNanos: 20 * Nanos.perMillisecond, stallEveryNanos: 10 * Nanos.perSecond,
                                         stallNanos: 0...0, seed: 3))
        let run = sim.run()
        let expected = 1000.0 / 1.02
        #expect(abs(run.averageRate - expected) / expected < 0.01, "\(run.averageRate)")
    }

    @Test("no limit: starts as fast as claims and slots allow")
    func unlimited() {
        var pacer = ChannelPacer(window: ArrivalWindow(limit: 0), maxInFlight: 8)
        let now: Int64 = 1_000 * Nanos.perSecond
        #expect(pacer.next(now: now, pausedUntil: nil, stopping: false) == .claim(limit: 8))
        pacer.claimed(8, nextDue: nil)
        var started = 0
        while case .start = pacer.next(now: now, pausedUntil: nil, stopping: false) { started += 1 }
        #expect(started == 8)
    }
}
