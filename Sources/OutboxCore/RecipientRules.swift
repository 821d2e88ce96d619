/// What the daemon knows of one recipient on one channel.
public struct RecipientState: Sendable, Equatable {
    /// The customer's last message (opens the 24-hour window).
    public var lastInboundMillis: Int64?
    /// A 131047/470 said the window was closed at this time.
    public var windowClosedMillis: Int64?
    /// No request to this recipient before this time (pair pacing, pair backoff, a retry holding later messages).
    public var nextSendMillis: Int64?
    /// A 131026/1026 said the number cannot receive WhatsApp messages at this time.
    public var unreachableMillis: Int64?

    public init(lastInboundMillis: Int64? = nil, windowClosedMillis: Int64? = nil, nextSendMillis: Int64? = nil, unreachableMillis: Int64? = nil) {
        self.lastInboundMillis = lastInboundMillis
        self.windowClosedMillis = windowClosedMillis
        self.nextSendMillis = nextSendMillis
        self.unreachableMillis = unreachableMillis
    }
}

/// The per-recipient rules the scheduler keeps before a request is spent (WHATSAPP-API.md §4.3, §5).
public struct RecipientRules: Sendable, Equatable {
    /// At most one request per recipient per interval (Meta: about one message per 6 s); 0 disables.
    public var pairIntervalMillis: Int64 = 6_000
    /// A message waiting for a retry holds back later messages to the same recipient.
    public var holdOnRetry = true
    /// Refuse free-form messages outside the 24-hour window (false: only the API judges).
    public var enforceWindow = true
    /// The window is treated as closed this long before its 24-hour mark (clock skew, queueing).
    public var windowMarginMillis: Int64 = 600_000
    /// After the API said a number cannot receive (131026: not on WhatsApp, terms not accepted,
    /// client too old), later messages to it fail without a request for this long, unless the
    /// customer writes meanwhile (then they are reachable). After it, one is tried again: the
    /// customer may have installed or updated WhatsApp.
    public var unreachableHoldMillis: Int64 = 86_400_000

    public static let windowMillis: Int64 = 86_400_000

    public init() {}

    /// Whether a free-form message may go to this recipient at `nowMillis`.
    public func windowOpen(_ r: RecipientState?, nowMillis: Int64) -> Bool {
        guard let last = r?.lastInboundMillis else { return false }
        // A customer cannot have written in the future: a time far ahead was stored by a
        // version that trusted a forged webhook timestamp (red-team 2); it opens nothing.
        guard last <= TimeMath.add(nowMillis, TimeBounds.webhookFutureSkewMillis) else { return false }
        if let closed = r?.windowClosedMillis, closed >= last { return false }
        return nowMillis < TimeMath.subtract(TimeMath.add(last, Self.windowMillis), windowMarginMillis)
    }

    /// What to do with a due message of `type` to this recipient now.
    public func verdict(type: String, recipient r: RecipientState?, nowMillis: Int64) -> RecipientVerdict {
        if let next = r?.nextSendMillis, next > nowMillis { return .wait(untilMillis: next) }
        if let since = r?.unreachableMillis, nowMillis < TimeMath.add(since, unreachableHoldMillis), (r?.lastInboundMillis ?? .min) <= since {
            return .unreachable(sinceMillis: since)
        }
        if enforceWindow, type != "template", !windowOpen(r, nowMillis: nowMillis) {
            return .windowClosed
        }
        return .send
    }

    /// Why a free-form message cannot be sent, for `last_error` and the 422.
    public static let windowClosedReason = "window_closed: the recipient has not written in the last 24 hours; only a template message can reach them now"

    /// Why a message to a number marked unreachable fails without a request.
    public func unreachableReason(sinceMillis: Int64) -> String {
        "recipient_unreachable: at \(RFC3339.format(millis: sinceMillis)) the API said this number cannot receive WhatsApp messages (131026); "
            + "not tried again before \(RFC3339.format(millis: TimeMath.add(sinceMillis, unreachableHoldMillis))) unless the customer writes"
    }
}

/// The scheduler's answer for one recipient.
public enum RecipientVerdict: Sendable, Equatable {
    case send
    /// Pacing or a retry holds this recipient until then; other recipients go ahead.
    case wait(untilMillis: Int64)
    /// Free-form message outside the 24-hour window: fails without a request.
    case windowClosed
    /// The API said the number cannot receive (131026) less than `unreachableHoldMillis` ago:
    /// fails without a request.
    case unreachable(sinceMillis: Int64)
}
