import OutboxCore

/// The one place that knows what the API's error codes mean (WHATSAPP-API.md §3): each code's
/// class and the facts the rest of the daemon acts on. Used for synchronous answers
/// (`ResponseClassifier`) and failed statuses (`WebhookPayload`) alike. Keyed on the code,
/// never on the HTTP status, except where no code came.
public enum ErrorTable {
    /// The meaning of a Cloud API (Meta) or On-Premise error code; nil for codes not listed.
    public static func meaning(code: Int, api: ChannelAPI) -> ErrorMeaning? {
        api == .onpremise ? (onPremise[code] ?? cloud[code]) : (cloud[code] ?? onPremise[code])
    }

    /// The meaning of an error with this code (or none), answered with this HTTP status
    /// (nil for a failed status) and text: the code's entry, else what the status and text say.
    public static func meaning(code: Int?, httpStatus: Int?, text: String?, api: ChannelAPI) -> ErrorMeaning {
        if let code, let m = meaning(code: code, api: api) { return m }
        // A failed status with a code the table does not know (new ones appear): it fails, nothing more.
        guard let httpStatus else { return .permanent }
        let m = meaning(httpStatus: httpStatus, message: text)
        // An unknown code came from the API itself, so the endpoint is right: a 4xx is about this message.
        return code != nil && m.has(.configurationProblem) ? .permanent : m
    }

    static let blocked = ErrorMeaning.channel
    static let maintenance = ErrorMeaning(.channel, [.channelBlocked(liftsAfterMillis: 60_000)])
    static let throughput = ErrorMeaning(.retrySlow, [.throughput])
    static let spam = ErrorMeaning(.retrySlow, [.spamRestriction])
    static let windowClosed = ErrorMeaning(.permanent, [.windowClosed])
    static let unreachable = ErrorMeaning(.permanent, [.recipientUnreachable])

    static let cloud: [Int: ErrorMeaning] = {
        var t: [Int: ErrorMeaning] = [
            0: blocked, 1: .retry, 2: .retry, 3: blocked, 4: .retrySlow, 10: blocked, 33: blocked,
            100: .permanent, 190: blocked, 368: blocked, 80007: .retrySlow,
            130403: .permanent, 130429: throughput, 130472: .permanent, 130497: .permanent,
            131000: .retry, 131005: blocked, 131008: .permanent, 131009: .permanent, 131016: .retry,
            131021: .permanent, 131026: unreachable, 131031: blocked, 131037: blocked, 131042: blocked,
            131045: blocked, 131047: windowClosed, 131048: spam,
            131049: ErrorMeaning(.permanent, [.marketingLimit]), 131050: ErrorMeaning(.permanent, [.optedOut]),
            131051: .permanent, 131053: .permanent, 131055: .permanent, 131056: .pair, 131057: maintenance,
            131063: .permanent, 131064: blocked,
            132000: .permanent, 132001: .permanent, 132005: .permanent, 132007: .permanent, 132012: .permanent,
            132015: ErrorMeaning(.permanent, [.templatePaused]), 132016: ErrorMeaning(.permanent, [.templateDisabled]),
            132018: .permanent, 132068: .permanent, 132069: .retrySlow,
            133000: blocked, 133004: .retry, 133010: blocked, 134011: blocked,
            134100: .permanent, 134101: .retrySlow, 134102: .retry, 135000: .permanent, 2494100: maintenance,
        ]
        for code in 200...299 { t[code] = blocked }
        for code in [133005, 133006, 133007, 133008, 133009, 133015, 133016] { t[code] = blocked }
        return t
    }()

    static let onPremise: [Int: ErrorMeaning] = [
        402: blocked, 408: .retry, 410: .retry, 429: throughput, 430: blocked, 432: blocked, 433: blocked,
        470: windowClosed, 471: spam, 472: .permanent, 500: .retry,
        1000: .retry, 1001: .permanent, 1002: .permanent, 1004: .permanent, 1005: blocked, 1006: .permanent,
        1007: .permanent, 1008: .permanent, 1009: .permanent, 1010: .permanent, 1011: .retry, 1013: .permanent,
        1014: .retry, 1015: .retrySlow, 1016: .retrySlow, 1021: .permanent, 1022: .permanent, 1023: .retry,
        1025: .permanent, 1026: unreachable, 1028: .permanent,
        2000: .permanent, 2001: .permanent, 2002: .permanent, 2003: .permanent,
    ]

    /// The meaning of an answer without an error code: 360dialog's gateway errors
    /// (`meta.developer_message`) and bare HTTP statuses. A 4xx that is not about the
    /// message's body (403 "The endpoint is blocked", 404 from a wrong `base_url` or path,
    /// 405, ...) would fail every queued message alike: it pauses the channel instead.
    public static func meaning(httpStatus: Int, message: String?) -> ErrorMeaning {
        let text = (message ?? "").lowercased()
        if text.contains("disabled") || text.contains("lack of payment") { return blocked }
        if text.contains("rate limit") || text.contains("exceeded the limit") || text.contains("exceeded the endpoint") {
            return httpStatus == 429 ? throughput : .retrySlow
        }
        switch httpStatus {
        case 401: return blocked
        case 408, 500...599: return .retry
        case 429: return throughput
        case 400, 413, 414, 422: return .permanent  // about this message's body
        case 402...499: return ErrorMeaning(.channel, [.configurationProblem])
        default: return .permanent
        }
    }
}
