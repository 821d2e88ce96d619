/// Adaptive throughput (AIMD): when the API says the channel sends too fast (130429, 429), the
/// rate halves; each second without such an answer it climbs back by a twentieth of the
/// configured limit, up to that limit. Pure: the caller passes `nowMillis`.
public struct AdaptiveRate: Sendable, Equatable {
    /// `messages_per_second`; 0 means no limit of our own.
    public var configured: Int
    /// The rate in force now; nil when it is the configured one.
    public private(set) var current: Int?
    private var lastChangeMillis: Int64 = 0

    public init(configured: Int, current: Int? = nil) {
        self.configured = configured
        self.current = current.flatMap { c in configured == 0 || c < configured ? max(1, c) : nil }
    }

    /// The limit to apply now (0: none).
    public var limit: Int { current ?? configured }

    /// The API throttled the channel. `observedRate` is what it was doing, for channels
    /// without a configured limit. At most one halving per second: one burst of refusals is one signal.
    public mutating func throttled(nowMillis: Int64, observedRate: Double) {
        guard nowMillis - lastChangeMillis >= 1_000 || current == nil else { return }
        let base = current ?? (configured > 0 ? configured : max(2, Int(observedRate.rounded())))
        current = max(1, base / 2)
        lastChangeMillis = nowMillis
    }

    /// Climbs back toward the configured limit; returns true when the limit changed.
    @discardableResult
    public mutating func tick(nowMillis: Int64) -> Bool {
        guard let c = current, nowMillis - lastChangeMillis >= 1_000 else { return false }
        let ceiling = configured > 0 ? configured : Int.max
        let step = max(1, (configured > 0 ? configured : c * 2) / 20)
        let next = c + step
        current = next >= ceiling ? nil : next
        lastChangeMillis = nowMillis
        return true
    }
}
