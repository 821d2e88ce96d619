import OutboxCore

/// The API's error codes and the class each falls in (WHATSAPP-API.md §3). Classification is
/// keyed on the code, never on the HTTP status, except where no code came.
public enum ErrorTable {
    /// The class of a Cloud API (Meta) or On-Premise error code; nil for codes not listed.
    public static func classify(code: Int, api: ChannelAPI) -> ErrorClass? {
        api == .onpremise ? (onPremise[code] ?? cloud[code]) : (cloud[code] ?? onPremise[code])
    }

    static let cloud: [Int: ErrorClass] = {
        var t: [Int: ErrorClass] = [
            0: .channel, 1: .retry, 2: .retry, 3: .channel, 4: .retrySlow, 10: .channel, 33: .channel,
            100: .permanent, 190: .channel, 368: .channel, 80007: .retrySlow,
            130403: .permanent, 130429: .retrySlow, 130472: .permanent, 130497: .permanent,
            131000: .retry, 131005: .channel, 131008: .permanent, 131009: .permanent, 131016: .retry,
            131021: .permanent, 131026: .permanent, 131031: .channel, 131037: .channel, 131042: .channel,
            131045: .channel, 131047: .permanent, 131048: .retrySlow, 131049: .permanent, 131050: .permanent,
            131051: .permanent, 131053: .permanent, 131055: .permanent, 131056: .pair, 131057: .channel,
            131063: .permanent, 131064: .channel,
            132000: .permanent, 132001: .permanent, 132005: .permanent, 132007: .permanent, 132012: .permanent,
            132015: .permanent, 132016: .permanent, 132018: .permanent, 132068: .permanent, 132069: .retrySlow,
            133000: .channel, 133004: .retry, 133010: .channel, 134011: .channel,
            134100: .permanent, 134101: .retrySlow, 134102: .retry, 135000: .permanent, 2494100: .channel,
        ]
        for code in 200...299 { t[code] = .channel }
        for code in [133005, 133006, 133007, 133008, 133009, 133015, 133016] { t[code] = .channel }
        return t
    }()

    static let onPremise: [Int: ErrorClass] = [
        402: .channel, 408: .retry, 410: .retry, 429: .retrySlow, 430: .channel, 432: .channel, 433: .channel,
        470: .permanent, 471: .retrySlow, 472: .permanent, 500: .retry,
        1000: .retry, 1001: .permanent, 1002: .permanent, 1004: .permanent, 1005: .channel, 1006: .permanent,
        1007: .permanent, 1008: .permanent, 1009: .permanent, 1010: .permanent, 1011: .retry, 1013: .permanent,
        1014: .retry, 1015: .retrySlow, 1016: .retrySlow, 1021: .permanent, 1022: .permanent, 1023: .retry,
        1025: .permanent, 1026: .permanent, 1028: .permanent,
        2000: .permanent, 2001: .permanent, 2002: .permanent, 2003: .permanent,
    ]

    /// Classification when the answer carried no error code: 360dialog's gateway errors
    /// (`meta.developer_message`) and bare HTTP statuses.
    public static func classify(httpStatus: Int, message: String?) -> ErrorClass {
        let text = (message ?? "").lowercased()
        if text.contains("disabled") || text.contains("lack of payment") { return .channel }
        if text.contains("rate limit") || text.contains("exceeded the limit") || text.contains("exceeded the endpoint") { return .retrySlow }
        switch httpStatus {
        case 401: return .channel
        case 408, 500...599: return .retry
        case 429: return .retrySlow
        default: return .permanent
        }
    }
}
