/// A chosen answer for one recipient, e.g. "+4915112345678 is not on WhatsApp (131026)".
///
/// Special codes: 0 closes the connection without answering, 401 answers 360dialog's
/// "Invalid api_key", 500 answers 360dialog's plain "Internal server error". Any other code
/// is answered as an API error in the shape of the endpoint (Cloud `error`, On-Premise
/// `errors`). Several faults for the same recipient are used in order, each for its `times`.
public struct RecipientFault: Sendable, Codable, Equatable {
    /// Recipient as in the body's `to`; matched on digits only, so "+49…" and "49…" match.
    public var to: String
    /// Error code to answer with (see the type's comment for 0, 401 and 500).
    public var code: Int
    /// HTTP status of the answer; nil picks the usual one for the code (see `ErrorCatalog`).
    public var httpStatus: Int?
    /// Answer with the fault this many times, then behave normally; nil means always.
    public var times: Int?
    /// Delay before answering, in milliseconds.
    public var delayMillis: Int?

    public init(to: String, code: Int, httpStatus: Int? = nil, times: Int? = nil, delayMillis: Int? = nil) {
        self.to = to
        self.code = code
        self.httpStatus = httpStatus
        self.times = times
        self.delayMillis = delayMillis
    }

    /// The JSON form uses snake_case keys, like the rest of the control API.
    enum CodingKeys: String, CodingKey {
        case to, code, times
        case httpStatus = "http_status"
        case delayMillis = "delay_millis"
    }
}
