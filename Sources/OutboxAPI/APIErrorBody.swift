/// The error codes of the socket API (CONTRACT.md), each with its HTTP status.
public enum APIErrorCode: String, Codable, Sendable {
    case invalidJSON = "invalid_json"
    case invalidField = "invalid_field"
    case unknownChannel = "unknown_channel"
    case notFound = "not_found"
    /// A known route asked with a method it does not serve.
    case methodNotAllowed = "method_not_allowed"
    case conflict
    case bodyTooLarge = "body_too_large"
    case windowClosed = "window_closed"
    case expired
    case unavailable
    case unauthorized
    case internalError = "internal_error"
    /// `POST /v1/reload`: the config file cannot be used; the running config stays.
    case invalidConfig = "invalid_config"
    /// A template submission the synced catalog shows cannot succeed (unknown name or
    /// language, wrong parameters, a header of the wrong kind, a disabled template).
    case invalidTemplate = "invalid_template"
    /// A marketing template to a customer on the channel's opt-out list.
    case optedOut = "opted_out"
    /// A marketing template to a +1 number with `[marketing] refuse_us_numbers = true`.
    case marketingNotDelivered = "marketing_not_delivered"
    /// The management API's hourly budget is used up (`templates sync`); try again later.
    case tooManyRequests = "too_many_requests"

    public var httpStatus: Int {
        switch self {
        case .invalidJSON, .invalidField, .unknownChannel: 400
        case .unauthorized: 401
        case .notFound: 404
        case .methodNotAllowed: 405
        case .conflict: 409
        case .bodyTooLarge: 413
        case .windowClosed, .expired, .invalidConfig, .invalidTemplate, .optedOut, .marketingNotDelivered: 422
        case .tooManyRequests: 429
        case .unavailable: 503
        case .internalError: 500
        }
    }
}

/// `{"error": {"code", "message", "field"}}`: every error answer of the socket API.
public struct APIErrorBody: Codable, Sendable, Error, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public var code: APIErrorCode
        public var message: String
        /// Dotted path into the request, when one field is at fault.
        public var field: String?
    }

    public var error: Detail

    public init(_ code: APIErrorCode, _ message: String, field: String? = nil) {
        self.error = Detail(code: code, message: message, field: field)
    }
}
