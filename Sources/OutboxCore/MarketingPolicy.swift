/// The rules for marketing templates beyond the catalog (`[marketing]`): how long marketing to
/// a recipient waits after a 131049 (per-user marketing limit; Meta says at least 24 h), and
/// whether marketing templates to `+1` numbers are refused (Meta currently delivers none to
/// US numbers: every one fails with 131049).
public struct MarketingPolicy: Sendable, Equatable {
    public static let defaultHoldMillis: Int64 = 86_400_000
    public var limitHoldMillis: Int64 = defaultHoldMillis
    public var refuseUSNumbers = false

    public init(limitHoldMillis: Int64 = defaultHoldMillis, refuseUSNumbers: Bool = false) {
        self.limitHoldMillis = limitHoldMillis
        self.refuseUSNumbers = refuseUSNumbers
    }

    /// True for a recipient the US rule refuses marketing to (`+1`, the North American plan).
    public func refuses(recipient: String) -> Bool { refuseUSNumbers && recipient.hasPrefix("+1") }

    /// The reason the refusal and a failed queued message carry.
    public static let usReason = "Meta delivers no marketing templates to +1 (US) numbers ([marketing] refuse_us_numbers = true)"
}
