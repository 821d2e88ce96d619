/// A chosen answer for one recipient, e.g. "+4915112345678 is not on WhatsApp (131026)".
///
/// Special codes: 0 closes the connection without answering, 401 answers 360dialog's
/// "Invalid api_key", 403 its "The endpoint is blocked" (no Meta code), 500 its plain
/// "Internal server error". Any other code
/// is answered as an API error in the shape of the endpoint (Cloud `error`, On-Premise
/// `errors`). Several faults for the same recipient are used in order, each for its `times`.
///
/// An `async` fault answers 200 with a message id as usual and reports `code` later, in a
/// `failed` status webhook (no `delivered` or `read` follow); the special codes mean nothing
/// there.
public struct RecipientFault: Sendable, Codable, Equatable {
    /// Recipient as in the body's `to`; matched on digits only, so "+49…" and "49…" match.
    public var to: String
    /// Error code to answer with (see the type's comment for 0, 401 and 500).
    public var code: Int
    /// HTTP status of the answer; nil picks the usual one for the code (see `ErrorCatalog`).
    /// Ignored by `async` faults, which answer 200.
    public var httpStatus: Int?
    /// Answer with the fault this many times, then behave normally; nil means always.
    public var times: Int?
    /// Delay before answering, in milliseconds.
    public var delayMillis: Int?
    /// Accept the message, then fail it in a `failed` status webhook carrying `code`.
    public var async: Bool

    public init(to: String, code: Int, httpStatus: Int? = nil, times: Int? = nil, delayMillis: Int? = nil, async: Bool = false) {
        self.to = to
        self.code = code
        self.httpStatus = httpStatus
        self.times = times
        self.delayMillis = delayMillis
        self.async = async
    }

    /// The JSON form uses snake_case keys, like the rest of the control API.
    enum CodingKeys: String, CodingKey {
        case to, code, times, async
        case httpStatus = "http_status"
        case delayMillis = "delay_millis"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.to = try c.decode(String.self, forKey: .to)
        self.code = try c.decode(Int.self, forKey: .code)
        self.httpStatus = try c.decodeIfPresent(Int.self, forKey: .httpStatus)
        self.times = try c.decodeIfPresent(Int.self, forKey: .times)
        self.delayMillis = try c.decodeIfPresent(Int.self, forKey: .delayMillis)
        self.async = try c.decodeIfPresent(Bool.self, forKey: .async) ?? false
    }
}
