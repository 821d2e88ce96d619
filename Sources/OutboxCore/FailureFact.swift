/// What an API error tells the daemon beyond the fate of the one message that drew it: the
/// facts the scheduler, the store and the worker act on. Only the WhatsApp module maps error
/// codes to facts (`ErrorTable`), for answers and failed statuses alike; nothing else reads
/// code numbers (WHATSAPP-API.md §3: "handle every code identically whichever path it arrives on").
public enum FailureFact: Sendable, Hashable {
    /// The 24-hour window is closed (131047, 470): free-form messages fail until the customer writes.
    case windowClosed
    /// The number cannot receive WhatsApp messages (131026, 1026): not on WhatsApp, terms not
    /// accepted, or a client too old.
    case recipientUnreachable
    /// The template is paused for low quality (132015).
    case templatePaused
    /// The template is disabled for good (132016).
    case templateDisabled
    /// The channel sends faster than its throughput (130429, On-Premise 429, a bare HTTP 429):
    /// the channel's rate is lowered.
    case throughput
    /// Too many messages to this one recipient (131056): that recipient is held, others go on.
    case pairLimit
    /// The channel cannot send (key, account, payment, policy): it pauses with its queue kept.
    /// `liftsAfterMillis` when the API lifts the block by itself after a known time
    /// (maintenance), nil until an operator resumes the channel.
    case channelBlocked(liftsAfterMillis: Int64?)
    /// Spam rate limit (131048, 471): the channel's normal and bulk traffic is held with an
    /// escalating hold (`SpamHold`) and its rate lowered.
    case spamRestriction
    /// Per-user marketing limit (131049, "healthy ecosystem engagement"): Meta says not to
    /// resend marketing to this recipient for at least 24 hours.
    case marketingLimit
    /// The recipient stopped marketing messages (131050).
    case optedOut
    /// The request is wrong for every message, not for this one: an HTTP 4xx without an API
    /// error code (a wrong `base_url` or path, 360dialog's 403 "The endpoint is blocked").
    case configurationProblem
}

/// An API error's meaning: its class (what becomes of the message) and its facts (what the
/// rest of the daemon learns). Built only by the WhatsApp module's table.
public struct ErrorMeaning: Sendable, Equatable {
    public var errorClass: ErrorClass
    public var facts: [FailureFact]

    public init(_ errorClass: ErrorClass, _ facts: [FailureFact] = []) {
        self.errorClass = errorClass
        self.facts = facts
    }

    public static let permanent = ErrorMeaning(.permanent)
    public static let retry = ErrorMeaning(.retry)
    public static let retrySlow = ErrorMeaning(.retrySlow)
    public static let pair = ErrorMeaning(.pair, [.pairLimit])
    public static let channel = ErrorMeaning(.channel, [.channelBlocked(liftsAfterMillis: nil)])

    public func has(_ fact: FailureFact) -> Bool { facts.contains(fact) }

    /// The channel block this error reports, if any: `.some(nil)` for an untimed pause.
    public var channelBlock: Int64?? {
        for case .channelBlocked(let after) in facts { return .some(after) }
        return has(.configurationProblem) ? .some(nil) : nil
    }

    public var outcome: AttemptOutcome { errorClass.outcome }
}
