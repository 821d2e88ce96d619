import Testing
import OutboxCore

/// A deterministic simulation of one channel worker driving a `ChannelPacer` against a
/// simulated host and network, on simulated time: the worker's wake-ups are late by a little,
/// the host stalls now and then for tens of milliseconds (the worker does not run, and no
/// request is written), claims take milliseconds, each request is written a little after it
/// starts, and it arrives at the API a random delay (within the pacer's guard) after that.
/// What the API would count is the list of arrival times.
struct PacingSimulation {
    struct Settings {
        var limit: Int
        var guardNanos: Int64 = 10 * Nanos.perMillisecond
        var maxInFlight = 64
        var seconds = 10
        /// On average one stall of the host per this many nanoseconds of simulated time
        /// (GC-like pauses now and then; each loses its slots).
        var stallEveryNanos: Int64 = 5 * Nanos.perSecond
        var stallNanos: ClosedRange<Int64> = (10 * Nanos.perMillisecond)...(50 * Nanos.perMillisecond)
        /// Between a start and its write, when the host does not stall.
        var writeDelayNanos: ClosedRange<Int64> = 0...(300 * Nanos.perMicrosecond)
        /// How late a wake-up is.
        var wakeLateNanos: ClosedRange<Int64> = (20 * Nanos.perMicrosecond)...(150 * Nanos.perMicrosecond)
        /// How long the API takes to answer after the arrival.
        var answerNanos: ClosedRange<Int64> = (1 * Nanos.perMillisecond)...(40 * Nanos.perMillisecond)
        var claimNanos: ClosedRange<Int64> = (1 * Nanos.perMillisecond)...(8 * Nanos.perMillisecond)
        var seed: UInt64 = 1
    }

    struct Outcome {
        var starts: [Int64]
        var arrivals: [Int64]
        var start: Int64
        var end: Int64
        /// The share of the run the host was stalled.
        var stalled: Double

        /// Most arrivals in any sliding second (t − 1 s, t].
        var busiestArrivalSecond: Int { Self.busiest(arrivals.sorted()) }
        var busiestStartSecond: Int { Self.busiest(starts) }

        /// Arrivals per second over the run.
        var averageRate: Double { Double(arrivals.count) / (Double(end - start) / Double(Nanos.perSecond)) }

        static func busiest(_ sorted: [Int64]) -> Int {
            var best = 0
            var lo = 0
            for hi in sorted.indices {
                while sorted[hi] - sorted[lo] >= Nanos.perSecond { lo += 1 }
                best = max(best, hi - lo + 1)
            }
            return best
        }
    }

    private enum Event {
        case claimDone(count: Int)
        case written(ArrivalWindow.Ticket)
        case finished(ArrivalWindow.Ticket)
    }

    let settings: Settings
    private var rng: SeededGenerator
    private var events: [(at: Int64, seq: Int, event: Event)] = []
    private var seq = 0
    private var stalls: [ClosedRange<Int64>] = []

    init(_ settings: Settings) {
        self.settings = settings
        rng = SeededGenerator(seed: settings.seed)
    }

    /// Runs a channel with an endless backlog for `settings.seconds`.
    mutating func run() -> Outcome {
        let start: Int64 = 1_000 * Nanos.perSecond
        let end = start + Int64(settings.seconds) * Nanos.perSecond
        var t = start
        while t < end {
            t += Int64.random(in: 0...(2 * settings.stallEveryNanos), using: &rng)
            let length = Int64.random(in: settings.stallNanos, using: &rng)
            stalls.append(t...(t + length))
            t += length
        }
        var pacer = ChannelPacer(window: ArrivalWindow(limit: settings.limit, guardNanos: settings.guardNanos), maxInFlight: settings.maxInFlight)
        var now = start
        var starts: [Int64] = []
        var arrivals: [Int64] = []
        while now < end {
            now = afterStall(now)
            deliver(upTo: now, into: &pacer)
            switch pacer.next(now: now, pausedUntil: nil, stopping: false) {
            case .start(let ticket):
                starts.append(now)
                let written = afterStall(now + Int64.random(in: settings.writeDelayNanos, using: &rng))
                let arrival = written + Int64.random(in: 0...settings.guardNanos, using: &rng)
                arrivals.append(arrival)
                schedule(.written(ticket), at: written)
                schedule(.finished(ticket), at: arrival + Int64.random(in: settings.answerNanos, using: &rng))
                now += 2 * Nanos.perMicrosecond
            case .claim(let n):
                schedule(.claimDone(count: n), at: now + Int64.random(in: settings.claimNanos, using: &rng))
                now += 2 * Nanos.perMicrosecond
            case .pace(let until):
                now = max(now, until) + Int64.random(in: settings.wakeLateNanos, using: &rng)
            case .wait(let until):
                // A doorbell: woken by the next event (a claim or a finished request) or the deadline.
                let next = events.first { if case .written = $0.event { false } else { true } }?.at ?? .max
                now = max(now, min(until, next)) + Int64.random(in: settings.wakeLateNanos, using: &rng)
                pacer.woke()
            case .release, .stop:
                Issue.record("a channel with a backlog, not paused or stopping, released or stopped")
                return Outcome(starts: starts, arrivals: arrivals, start: start, end: end, stalled: stalledShare(start, end))
            }
        }
        return Outcome(starts: starts, arrivals: arrivals.filter { $0 < end }, start: start, end: end, stalled: stalledShare(start, end))
    }

    private func stalledShare(_ start: Int64, _ end: Int64) -> Double {
        let stalled = stalls.reduce(Int64(0)) { $0 + max(0, min($1.upperBound, end) - max($1.lowerBound, start)) }
        return Double(stalled) / Double(end - start)
    }

    /// The first moment at or after `t` when the host runs.
    private func afterStall(_ t: Int64) -> Int64 {
        for s in stalls where s.contains(t) { return s.upperBound }
        return t
    }

    /// Keeps `events` in time order (ties in the order scheduled).
    private mutating func schedule(_ event: Event, at: Int64) {
        seq += 1
        var i = events.count
        while i > 0, events[i - 1].at > at { i -= 1 }
        events.insert((at, seq, event), at: i)
    }

    private mutating func deliver(upTo now: Int64, into pacer: inout ChannelPacer) {
        var n = 0
        while n < events.count, events[n].at <= now { n += 1 }
        guard n > 0 else { return }
        let due = events[..<n]
        defer { events.removeFirst(n) }
        for (at, _, event) in due {
            switch event {
            case .claimDone(let n): pacer.claimed(n, nextDue: nil)
            case .written(let ticket): pacer.written(ticket, at: at)
            case .finished(let ticket): _ = pacer.finished(ticket, fate: .answered, now: at)
            }
        }
    }
}

/// SplitMix64: a small seeded generator, so each simulation is the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Nanos {
    static let perMicrosecond: Int64 = 1_000
}
