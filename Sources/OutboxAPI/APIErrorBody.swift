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

    public var httpStatus: Int {
        switch self {
        case .invalidJSON, .invalidField, .unknownChannel: 400
        case .unauthorized: 401
        case .notFound: 404
        case .methodNotAllowed: 405
        case .conflict: 409
        case .bodyTooLarge: 413
        case .windowClosed, .expired, .invalidConfig: 422
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
