/// The failures the sandbox injects into `/messages` answers and into its webhooks.
///
/// Rates are probabilities in 0...1, drawn per valid request from the seeded generator in
/// the order drop, server error, too many requests, slow. Recipient faults come first and
/// replace the random ones for their recipient. Webhook duplicates are drawn from a second
/// seeded generator, so they do not shift the answers' faults. The JSON form uses snake_case
/// keys and every key is optional (missing means 0, false or empty).
public struct SandboxFaults: Sendable, Codable, Equatable {
    /// Answer HTTP 500 with 360dialog's `meta` error body.
    public var serverErrorRate: Double
    /// Answer HTTP 429 with `Retry-After: 1` and error 130429 (429 on On-Premise).
    public var tooManyRequestsRate: Double
    /// Delay the answer by `slowMillis`.
    public var slowRate: Double
    /// Delay of a slow answer, in milliseconds.
    public var slowMillis: Int
    /// Close the TCP connection without answering.
    public var dropRate: Double
    /// Chosen answers for chosen recipients.
    public var recipients: [RecipientFault]
    /// Probability that a webhook event is POSTed twice (the copy right after the first,
    /// each with its own retries), as Meta's at-least-once delivery does.
    public var webhookDuplicateRate: Double
    /// Send `read` before `delivered`, as integrators see when webhooks overtake each other.
    public var webhookReorder: Bool
    /// The `contacts[0].wa_id` answered for chosen numbers (digits of `to` → digits), as
    /// Meta answers another form of some Brazilian and Mexican numbers; their statuses carry
    /// it as `recipient_id` too.
    public var waIDs: [String: String]
    /// Numbers (digits) whose sends are answered with `message_status:
    /// held_for_quality_assessment`, as Meta answers templates it paces for a quality check.
    public var heldForQuality: Set<String>

    public init(
        serverErrorRate: Double = 0,
        tooManyRequestsRate: Double = 0,
        slowRate: Double = 0,
        slowMillis: Int = 0,
        dropRate: Double = 0,
        recipients: [RecipientFault] = [],
        webhookDuplicateRate: Double = 0,
        webhookReorder: Bool = false,
        waIDs: [String: String] = [:],
        heldForQuality: Set<String> = []
    ) {
        self.waIDs = waIDs
        self.heldForQuality = heldForQuality
        self.serverErrorRate = serverErrorRate
        self.tooManyRequestsRate = tooManyRequestsRate
        self.slowRate = slowRate
        self.slowMillis = slowMillis
        self.dropRate = dropRate
        self.recipients = recipients
        self.webhookDuplicateRate = webhookDuplicateRate
        self.webhookReorder = webhookReorder
    }

    /// The JSON form uses snake_case keys, like the rest of the control API.
    enum CodingKeys: String, CodingKey {
        case serverErrorRate = "server_error_rate"
        case tooManyRequestsRate = "too_many_requests_rate"
        case slowRate = "slow_rate"
        case slowMillis = "slow_millis"
        case dropRate = "drop_rate"
        case recipients
        case webhookDuplicateRate = "webhook_duplicate_rate"
        case webhookReorder = "webhook_reorder"
        case waIDs = "wa_ids"
        case heldForQuality = "held_for_quality"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.serverErrorRate = try c.decodeIfPresent(Double.self, forKey: .serverErrorRate) ?? 0
        self.tooManyRequestsRate = try c.decodeIfPresent(Double.self, forKey: .tooManyRequestsRate) ?? 0
        self.slowRate = try c.decodeIfPresent(Double.self, forKey: .slowRate) ?? 0
        self.slowMillis = try c.decodeIfPresent(Int.self, forKey: .slowMillis) ?? 0
        self.dropRate = try c.decodeIfPresent(Double.self, forKey: .dropRate) ?? 0
        self.recipients = try c.decodeIfPresent([RecipientFault].self, forKey: .recipients) ?? []
        self.webhookDuplicateRate = try c.decodeIfPresent(Double.self, forKey: .webhookDuplicateRate) ?? 0
        self.webhookReorder = try c.decodeIfPresent(Bool.self, forKey: .webhookReorder) ?? false
        self.waIDs = try c.decodeIfPresent([String: String].self, forKey: .waIDs) ?? [:]
        self.heldForQuality = try c.decodeIfPresent(Set<String>.self, forKey: .heldForQuality) ?? []
    }
}
