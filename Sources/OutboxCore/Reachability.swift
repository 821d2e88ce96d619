/// Whether a channel's API can be reached, from the requests' fates: a run of requests that
/// provably never reached it (connection refused, DNS, TLS handshake, connect timeout) marks
/// the channel unreachable; then it stops claiming and sends one request at a time as a
/// probe, with backoff, until one is answered, and resumes by itself.
///
/// Any answer of the API, error or not, proves it reachable. A request whose outcome is
/// unknown (timeout, reset) changes nothing: a connection was made, but nothing came back.
/// Pure: times are nanoseconds the caller passes in.
public struct Reachability: Sendable, Equatable {
    /// What the requests said about the API.
    public enum Fate: Sendable, Equatable {
        /// The API answered (whatever it said).
        case answered
        /// No connection could be made: the request never left.
        case notReached
        /// A connection was made, but no answer came.
        case unknown
    }

    /// A change worth telling the operator about.
    public enum Change: Sendable, Equatable {
        case unreachable
        case reachable(afterNanos: Int64)
    }

    /// The state of the channel's API.
    public enum State: Sendable, Equatable {
        /// Sending; `failures` requests in a row did not reach the API.
        case reachable(failures: Int)
        /// Since `since`; the next probe may start at `nextProbe`; `probe` is the open one.
        case unreachable(since: Int64, nextProbe: Int64, backoff: Int64, probe: UInt64?)
    }

    /// Consecutive requests that did not reach the API before the channel is marked unreachable.
    public let threshold: Int
    /// First wait between probes; doubles after each probe that did not reach the API.
    public let firstProbeNanos: Int64
    /// Longest wait between probes.
    public let maxProbeNanos: Int64
    public private(set) var state = State.reachable(failures: 0)

    public init(threshold: Int = 5, firstProbeNanos: Int64 = Nanos.perSecond, maxProbeNanos: Int64 = 30 * Nanos.perSecond) {
        self.threshold = max(1, threshold)
        self.firstProbeNanos = max(1, firstProbeNanos)
        self.maxProbeNanos = max(self.firstProbeNanos, maxProbeNanos)
    }

    /// Whether the channel is marked unreachable.
    public var isUnreachable: Bool {
        if case .unreachable = state { true } else { false }
    }

    /// Since when the channel is unreachable, if it is.
    public var unreachableSince: Int64? {
        if case .unreachable(let since, _, _, _) = state { since } else { nil }
    }

    /// Whether a request may start now: always while reachable; one probe at a time, when
    /// its time has come, while unreachable.
    public func mayStart(now: Int64) -> Bool {
        switch state {
        case .reachable: true
        case .unreachable(_, let next, _, let probe): probe == nil && now >= next
        }
    }

    /// When the next probe may start, while unreachable and no probe is open.
    public var nextProbe: Int64? {
        if case .unreachable(_, let next, _, nil) = state { next } else { nil }
    }

    /// Request `id` started (while unreachable, that is the probe).
    public mutating func started(id: UInt64) {
        if case .unreachable(let since, let next, let backoff, nil) = state {
            state = .unreachable(since: since, nextProbe: next, backoff: backoff, probe: id)
        }
    }

    /// Request `id` finished with `fate` at `now`; returns the change, if it was one.
    public mutating func finished(id: UInt64, _ fate: Fate, now: Int64) -> Change? {
        switch (state, fate) {
        case (.reachable, .answered):
            state = .reachable(failures: 0)
        case (.reachable(let failures), .notReached):
            if failures + 1 >= threshold {
                state = .unreachable(since: now, nextProbe: TimeMath.add(now, firstProbeNanos), backoff: firstProbeNanos, probe: nil)
                return .unreachable
            }
            state = .reachable(failures: failures + 1)
        case (.reachable, .unknown):
            break
        case (.unreachable(let since, _, _, _), .answered):
            state = .reachable(failures: 0)
            return .reachable(afterNanos: TimeMath.subtract(now, since))
        case (.unreachable(let since, let next, let backoff, let probe), .notReached):
            // Requests started before the channel was marked are no probes: they move nothing.
            guard probe == id else { return nil }
            let longer = backoff > maxProbeNanos / 2 ? maxProbeNanos : backoff * 2
            state = .unreachable(since: since, nextProbe: max(next, TimeMath.add(now, backoff)), backoff: longer, probe: nil)
        case (.unreachable(let since, _, let backoff, let probe), .unknown):
            guard probe == id else { return nil }
            state = .unreachable(since: since, nextProbe: TimeMath.add(now, backoff), backoff: backoff, probe: nil)
        }
        return nil
    }
}
