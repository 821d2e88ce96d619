/// A business portfolio's messaging limit (WHATSAPP-API.md §4.4): how many unique recipients
/// its numbers may reach with a template outside their 24-hour window in a moving 24 hours.
/// Set per portfolio and shared by every channel (phone number) in it.
public struct MessagingLimit: Sendable, Equatable {
    /// The portfolio's name in the config; channels that name it share the count.
    public var portfolio: String
    /// Meta's tier (250, 2,000, 10,000, 100,000), or nil for unlimited.
    public var tier: Int?
    /// The share of the tier the daemon uses, leaving headroom for sends it cannot see
    /// (another system on the same portfolio) and for clock skew. Meta counts deliveries;
    /// we count hand-overs, which is never fewer.
    public var share: Double

    public static let window: Int64 = 86_400_000
    /// The portfolio of channels that name none.
    public static let defaultPortfolio = "default"
    /// Meta's tiers, for documentation and config checks.
    public static let tiers = [250, 2_000, 10_000, 100_000]

    public init(portfolio: String, tier: Int?, share: Double = 0.95) {
        self.portfolio = portfolio
        self.tier = tier
        self.share = share
    }

    /// An unlimited portfolio: reach is still counted (for stats), never capped.
    public static func unlimited(_ portfolio: String) -> MessagingLimit { MessagingLimit(portfolio: portfolio, tier: nil) }

    /// How many new recipients may be reached in 24 h before such messages wait; nil: no cap.
    public var budget: Int? { tier.map { max(1, Int((Double($0) * share).rounded(.down))) } }

    /// Whether a message counts against the limit: a template to a recipient whose window the
    /// daemon does not know to be open. (Free-form messages cannot leave a closed window.)
    public static func counts(type: String, windowOpen: Bool) -> Bool { type == "template" && !windowOpen }
}

/// The reach budget as one claim sees it: how much of the portfolio's rolling 24 h is used,
/// and the verdict for each business-initiated message.
public struct ReachBudget: Sendable, Equatable {
    public let limit: MessagingLimit
    /// Unique recipients reached in the last 24 h, including those this claim admitted.
    public private(set) var used: Int

    public init(limit: MessagingLimit, used: Int) {
        self.limit = limit
        self.used = used
    }

    public enum Verdict: Sendable, Equatable {
        /// Reached within the last 24 h already: costs nothing more.
        case alreadyReached
        /// A new recipient, within the budget: record the reach and send.
        case admit
        /// The budget is used up: the message waits (it is not failed) until reach expires.
        case wait
    }

    /// The verdict for a recipient last reached at `reachedMillis` (nil: never), at `nowMillis`.
    /// `admit` counts the recipient as used.
    public mutating func admit(reachedMillis: Int64?, nowMillis: Int64) -> Verdict {
        if let r = reachedMillis, r > nowMillis - MessagingLimit.window { return .alreadyReached }
        if let budget = limit.budget, used >= budget { return .wait }
        used += 1
        return .admit
    }

    public var exhausted: Bool { limit.budget.map { used >= $0 } ?? false }
}
