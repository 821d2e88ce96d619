import OutboxCore
@testable import OutboxDaemon
import Testing
import TestSupport

@Suite("Doorbell")
struct DoorbellTests {
    let clock = ManualClock()

    /// Starts a wait until `ms` from now and returns once it is waiting.
    func waiting(_ bell: Doorbell, forMillis ms: Int64) async throws -> Task<Bool, Never> {
        let deadline = clock.now() + ms * Nanos.perMillisecond
        let clock = self.clock
        let task = Task { await bell.wait(until: deadline, clock: clock) }
        #expect(try await eventually { bell.isWaiting })
        return task
    }

    @Test("a ring with nobody waiting is kept for the next wait, once")
    func keptRing() async throws {
        let bell = Doorbell()
        bell.ring()
        #expect(await bell.wait(until: clock.now() + Nanos.perSecond, clock: clock))
        let second = try await waiting(bell, forMillis: 1_000)
        clock.advance(byMillis: 1_000)
        #expect(await second.value == false)
    }

    @Test("a ring ends a wait early; its deadline ends it otherwise")
    func ringOrDeadline() async throws {
        let bell = Doorbell()
        let rung = try await waiting(bell, forMillis: 1_000)
        bell.ring()
        #expect(await rung.value)
        let timedOut = try await waiting(bell, forMillis: 1_000)
        clock.advance(byMillis: 999)
        #expect(bell.isWaiting)
        clock.advance(byMillis: 1)
        #expect(await timedOut.value == false)
        #expect(await bell.wait(until: clock.now(), clock: clock) == false)  // a deadline already passed
    }

    @Test("waits rung before their deadlines share one timer, which then ends")
    func oneTimer() async throws {
        let bell = Doorbell()
        for _ in 0..<50 {
            let task = try await waiting(bell, forMillis: 1_000)
            bell.ring()
            #expect(await task.value)
            clock.advance(byMillis: 10)
        }
        #expect(bell.timersStarted == 1)
        clock.advance(byMillis: 1_000)
        #expect(try await eventually { clock.sleeperCount == 0 })
    }

    @Test("the timer sleeps on until the deadline of the wait in progress")
    func timerRearms() async throws {
        let bell = Doorbell()
        let first = try await waiting(bell, forMillis: 1_000)
        bell.ring()
        #expect(await first.value)
        let second = try await waiting(bell, forMillis: 1_500)
        clock.advance(byMillis: 1_000)  // the timer wakes for the first deadline, and sleeps on
        #expect(try await eventually { clock.sleeperCount == 1 })
        #expect(bell.isWaiting)
        clock.advance(byMillis: 500)
        #expect(await second.value == false)
        #expect(bell.timersStarted == 1)
    }

    @Test("a deadline before the timer's starts a timer of its own, and ends on time")
    func earlierDeadline() async throws {
        let bell = Doorbell()
        let far = try await waiting(bell, forMillis: 60_000)
        bell.ring()
        #expect(await far.value)
        let near = try await waiting(bell, forMillis: 5)
        #expect(bell.timersStarted == 2)
        clock.advance(byMillis: 5)
        #expect(await near.value == false)
        clock.advance(byMillis: 60_000)
        #expect(try await eventually { clock.sleeperCount == 0 })
    }

    @Test("cancelling the waiting task ends its wait; a wait without a deadline starts no timer")
    func cancel() async throws {
        let bell = Doorbell()
        let timed = try await waiting(bell, forMillis: 1_000)
        timed.cancel()
        #expect(await timed.value == false)
        let untimed = Task { await bell.wait() }
        #expect(try await eventually { bell.isWaiting })
        #expect(bell.timersStarted == 1)
        bell.ring()
        await untimed.value
        let cancelled = Task { await bell.wait() }
        #expect(try await eventually { bell.isWaiting })
        cancelled.cancel()
        await cancelled.value
        #expect(!bell.isWaiting)
    }
}
