/// WhatsApp's sending rules the sandbox enforces, so tests and benchmarks can see a sender
/// keep them (WHATSAPP-API.md §4.1, §4.3, §5). All off by default: the sandbox then accepts
/// whatever passes the key check, the body check, the faults and the per-key limits.
///
/// The JSON form (`GET`/`PUT /sandbox/rules`) uses snake_case keys and every key is optional
/// (missing means the default below).
public struct SandboxRules: Sendable, Codable, Equatable {
    /// Meta's pair rate: one message every 6 s to the same user.
    public static let metaPairIntervalMillis = 6_000
    /// Meta's burst allowance: up to 45 messages in 6 s, paid back afterwards.
    public static let metaPairBurst = 45
    /// The customer service window: 24 hours.
    public static let metaWindowSeconds = 86_400
    /// Longest pair interval accepted: one day.
    public static let maxPairIntervalMillis = 86_400_000
    /// Longest window accepted: 365 days.
    public static let maxWindowSeconds = 365 * 86_400

    /// Refuse a message to a recipient that came too soon after the previous ones to the same
    /// recipient from the same key, with 131056 (both APIs).
    public var pairLimit: Bool
    /// The pair rule's interval: each accepted message to a recipient costs this long.
    public var pairIntervalMillis: Int
    /// Messages a recipient may get in a burst within one `pairIntervalMillis`, each borrowing
    /// one interval from the future; 1 (the default) allows no burst, so accepted messages to a
    /// recipient are at least one interval apart. Meta allows 45.
    ///
    /// Simplification of Meta's rule: a burst may start only once every earlier message is
    /// paid back (the recipient's debt is zero), lasts one interval at most, and afterwards the
    /// recipient waits until the burst is paid back, one interval per message (a burst of 20
    /// at 6 s: two minutes).
    public var pairBurst: Int
    /// Refuse a non-template message to a recipient who has not written to the key's number
    /// (`POST /sandbox/inbound`, `SandboxState.simulateInbound`) within `windowSeconds`, with
    /// 131047 (Cloud) or 470 (On-Premise). Templates always pass.
    public var windowRule: Bool
    /// Length of the customer service window, in seconds.
    public var windowSeconds: Int
    /// Throughput limit of every key that has no `SandboxKey.messagesPerSecond` of its own:
    /// more accepted messages than this in a one-second window are refused with 130429 (Cloud)
    /// or 429 (On-Premise). 0 means unlimited.
    public var messagesPerSecond: Int

    public init(
        pairLimit: Bool = false,
        pairIntervalMillis: Int = SandboxRules.metaPairIntervalMillis,
        pairBurst: Int = 1,
        windowRule: Bool = false,
        windowSeconds: Int = SandboxRules.metaWindowSeconds,
        messagesPerSecond: Int = 0
    ) {
        self.pairLimit = pairLimit
        self.pairIntervalMillis = pairIntervalMillis
        self.pairBurst = pairBurst
        self.windowRule = windowRule
        self.windowSeconds = windowSeconds
        self.messagesPerSecond = messagesPerSecond
    }

    /// What is wrong with the rules, naming the field, or nil when they can be used.
    public var problem: String? {
        if !(1...Self.maxPairIntervalMillis).contains(pairIntervalMillis) {
            return "pair_interval_millis must be 1 to \(Self.maxPairIntervalMillis) (one day)"
        }
        if pairBurst < 1 { return "pair_burst must be at least 1" }
        if !(1...Self.maxWindowSeconds).contains(windowSeconds) {
            return "window_seconds must be 1 to \(Self.maxWindowSeconds) (365 days)"
        }
        if messagesPerSecond < 0 { return "messages_per_second must not be negative (0 means unlimited)" }
        return nil
    }

    /// The JSON form uses snake_case keys, like the rest of the control API.
    enum CodingKeys: String, CodingKey {
        case pairLimit = "pair_limit"
        case pairIntervalMillis = "pair_interval_millis"
        case pairBurst = "pair_burst"
        case windowRule = "window_rule"
        case windowSeconds = "window_seconds"
        case messagesPerSecond = "messages_per_second"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.pairLimit = try c.decodeIfPresent(Bool.self, forKey: .pairLimit) ?? false
        self.pairIntervalMillis = try c.decodeIfPresent(Int.self, forKey: .pairIntervalMillis) ?? Self.metaPairIntervalMillis
        self.pairBurst = try c.decodeIfPresent(Int.self, forKey: .pairBurst) ?? 1
        self.windowRule = try c.decodeIfPresent(Bool.self, forKey: .windowRule) ?? false
        self.windowSeconds = try c.decodeIfPresent(Int.self, forKey: .windowSeconds) ?? Self.metaWindowSeconds
        self.messagesPerSecond = try c.decodeIfPresent(Int.self, forKey: .messagesPerSecond) ?? 0
    }
}
