/// Counters of `/messages` traffic since start or the last reset: totals, and per key what
/// the rules refused and how closely the accepted messages came (`GET /sandbox/stats`).
public struct SandboxStats: Sendable, Codable, Equatable {
    /// Every `/messages` request, whatever the answer (dropped connections included).
    public var requests: Int
    /// Requests answered 2xx.
    public var accepted: Int
    /// Requests answered otherwise or dropped: `requests - accepted`.
    public var refused: Int
    /// Requests refused with 131056 by the pair rule, all keys.
    public var pairViolations: Int
    /// Requests refused with 131047/470 by the window rule, all keys.
    public var windowViolations: Int
    /// Requests refused with 130429/429 by a throughput limit, all keys (injected 429 faults
    /// are not counted).
    public var throughputViolations: Int
    /// One entry per key that sent since start or reset, ordered by fingerprint.
    public var keys: [SandboxKeyStats]

    public init(
        requests: Int, accepted: Int, refused: Int,
        pairViolations: Int = 0, windowViolations: Int = 0, throughputViolations: Int = 0,
        keys: [SandboxKeyStats] = []
    ) {
        self.requests = requests
        self.accepted = accepted
        self.refused = refused
        self.pairViolations = pairViolations
        self.windowViolations = windowViolations
        self.throughputViolations = throughputViolations
        self.keys = keys
    }

    /// The JSON form uses snake_case keys, like the rest of the control API.
    enum CodingKeys: String, CodingKey {
        case requests, accepted, refused, keys
        case pairViolations = "pair_violations"
        case windowViolations = "window_violations"
        case throughputViolations = "throughput_violations"
    }
}

/// One key's traffic: what it sent, what the rules refused, and how it paced itself.
public struct SandboxKeyStats: Sendable, Codable, Equatable {
    /// The key's fingerprint (its first 4 characters and "…"); the key itself is a secret.
    public var key: String
    /// The phone number id the key stands for (`metadata.phone_number_id` of its webhooks);
    /// tells keys with the same fingerprint apart.
    public var phoneNumberID: String
    /// `/messages` requests with the key that passed the key check, whatever the answer.
    public var requests: Int
    /// Requests answered 2xx.
    public var accepted: Int
    /// Requests refused with 131056 by the pair rule.
    public var pairViolations: Int
    /// Requests refused with 131047 (Cloud) or 470 (On-Premise) by the window rule.
    public var windowViolations: Int
    /// Requests refused with 130429 (Cloud) or 429 (On-Premise) by the throughput limit.
    public var throughputViolations: Int
    /// The throughput limit in force for the key, messages per second; 0 is unlimited.
    public var messagesPerSecond: Int
    /// Smallest gap between two accepted messages to the same recipient, in whole
    /// milliseconds (rounded down), whether or not the pair rule is on; nil until a recipient
    /// got two. Gaps over a minute may go unseen when the key sends to many recipients.
    public var minPairGapMillis: Int?
    /// Most accepted messages in any one-second window (t − 1 s, t].
    public var maxAcceptedPerSecond: Int
    /// Most requests, whatever their answer, in any one-second window.
    public var maxRequestsPerSecond: Int
    /// Most requests that *arrived* (their head read, before the body) in any sliding second
    /// `(t − 1 s, t]`, exactly: what the API counts a number's throughput by.
    public var busiestArrivalSecond = 0
    /// Sliding seconds (one ending at each arrival) that held more than `over_limit`
    /// arrivals; nil without a limit.
    public var windowsOver: Int?
    /// The limit `windows_over` counts against: `GET /sandbox/stats?over=N`, else the key's
    /// throughput limit; nil when neither is set.
    public var overLimit: Int?

    public init(
        key: String, phoneNumberID: String, requests: Int = 0, accepted: Int = 0,
        pairViolations: Int = 0, windowViolations: Int = 0, throughputViolations: Int = 0,
        messagesPerSecond: Int = 0, minPairGapMillis: Int? = nil,
        maxAcceptedPerSecond: Int = 0, maxRequestsPerSecond: Int = 0
    ) {
        self.key = key
        self.phoneNumberID = phoneNumberID
        self.requests = requests
        self.accepted = accepted
        self.pairViolations = pairViolations
        self.windowViolations = windowViolations
        self.throughputViolations = throughputViolations
        self.messagesPerSecond = messagesPerSecond
        self.minPairGapMillis = minPairGapMillis
        self.maxAcceptedPerSecond = maxAcceptedPerSecond
        self.maxRequestsPerSecond = maxRequestsPerSecond
    }

    /// The JSON form uses snake_case keys; `min_pair_gap_ms` is written as null when unknown.
    enum CodingKeys: String, CodingKey {
        case key, requests, accepted
        case phoneNumberID = "phone_number_id"
        case pairViolations = "pair_violations"
        case windowViolations = "window_violations"
        case throughputViolations = "throughput_violations"
        case messagesPerSecond = "messages_per_second"
        case minPairGapMillis = "min_pair_gap_ms"
        case maxAcceptedPerSecond = "max_accepted_per_second"
        case maxRequestsPerSecond = "max_requests_per_second"
        case busiestArrivalSecond = "busiest_arrival_second"
        case windowsOver = "windows_over"
        case overLimit = "over_limit"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decode(String.self, forKey: .key)
        phoneNumberID = try c.decode(String.self, forKey: .phoneNumberID)
        requests = try c.decode(Int.self, forKey: .requests)
        accepted = try c.decode(Int.self, forKey: .accepted)
        pairViolations = try c.decode(Int.self, forKey: .pairViolations)
        windowViolations = try c.decode(Int.self, forKey: .windowViolations)
        throughputViolations = try c.decode(Int.self, forKey: .throughputViolations)
        messagesPerSecond = try c.decode(Int.self, forKey: .messagesPerSecond)
        minPairGapMillis = try c.decodeIfPresent(Int.self, forKey: .minPairGapMillis)
        maxAcceptedPerSecond = try c.decode(Int.self, forKey: .maxAcceptedPerSecond)
        maxRequestsPerSecond = try c.decode(Int.self, forKey: .maxRequestsPerSecond)
        busiestArrivalSecond = try c.decodeIfPresent(Int.self, forKey: .busiestArrivalSecond) ?? 0
        windowsOver = try c.decodeIfPresent(Int.self, forKey: .windowsOver)
        overLimit = try c.decodeIfPresent(Int.self, forKey: .overLimit)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(key, forKey: .key)
        try c.encode(phoneNumberID, forKey: .phoneNumberID)
        try c.encode(requests, forKey: .requests)
        try c.encode(accepted, forKey: .accepted)
        try c.encode(pairViolations, forKey: .pairViolations)
        try c.encode(windowViolations, forKey: .windowViolations)
        try c.encode(throughputViolations, forKey: .throughputViolations)
        try c.encode(messagesPerSecond, forKey: .messagesPerSecond)
        try c.encode(minPairGapMillis, forKey: .minPairGapMillis)
        try c.encode(maxAcceptedPerSecond, forKey: .maxAcceptedPerSecond)
        try c.encode(maxRequestsPerSecond, forKey: .maxRequestsPerSecond)
        try c.encode(busiestArrivalSecond, forKey: .busiestArrivalSecond)
        try c.encode(windowsOver, forKey: .windowsOver)
        try c.encode(overLimit, forKey: .overLimit)
    }
}
