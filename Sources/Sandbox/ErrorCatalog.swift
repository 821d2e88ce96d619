/// Titles and usual HTTP statuses of the error codes the sandbox answers with
/// (WHATSAPP-API.md §2.4 and §3). Unknown codes get a generic title and HTTP 400.
enum ErrorCatalog {
    /// The title of `code`, looked up first in the endpoint's own family.
    static func title(code: Int, api: SandboxAPI) -> String {
        switch api {
        case .cloud: cloud[code] ?? onPremise[code] ?? "Unknown error"
        case .onpremise: onPremise[code] ?? cloud[code] ?? "Unknown error"
        }
    }

    /// The HTTP status a recipient fault uses when it does not name one. Meta's integrity
    /// errors come as 403 (§2.4), token errors as 401, service outages as 5xx, the rest 400.
    static func defaultHTTPStatus(code: Int) -> Int {
        switch code {
        case 401, 190: 401
        case 10, 200...299, 368, 403, 130497, 131031: 403
        case 429: 429
        case 500, 1, 131000, 1000, 1014: 500
        case 2, 131016, 133004, 1011: 503
        default: 400
        }
    }

    static let cloud: [Int: String] = [
        0: "AuthException",
        1: "API Unknown",
        2: "API Service",
        3: "API Method",
        4: "API Too Many Calls",
        10: "Permission Denied",
        33: "Parameter value is not valid",
        100: "Invalid parameter",
        190: "Access token has expired",
        368: "Temporarily blocked for policies violations",
        80007: "Rate limit issues",
        130403: "Recipient is blocked",
        130429: "Rate limit hit",
        130472: "User's number is part of an experiment",
        130497: "Business account is restricted from messaging users in this country",
        131000: "Something went wrong",
        131005: "Access denied",
        131008: "Required parameter is missing",
        131009: "Parameter value is not valid",
        131016: "Service unavailable",
        131021: "Recipient cannot be sender",
        131026: "Message undeliverable",
        131031: "Business Account locked",
        131037: "WhatsApp provided number needs display name approval before message can be sent",
        131042: "Business eligibility payment issue",
        131045: "Incorrect certificate",
        131047: "Re-engagement message",
        131048: "Spam rate limit hit",
        131049: "This message was not delivered to maintain healthy ecosystem engagement",
        131050: "User has stopped marketing messages",
        131051: "Unsupported message type",
        131053: "Media upload error",
        131056: "(Business Account, Consumer Account) pair rate limit hit",
        131057: "Account in maintenance mode",
        131063: "Marketing messages on Cloud API are disabled",
        131064: "Messaging limited for template classification violations",
        132000: "Number of parameters does not match the expected number of params",
        132001: "Template name does not exist in the translation",
        132005: "Template Hydrated Text Too Long",
        132007: "Template Format Character Policy Violated",
        132012: "Template Parameter Format Mismatch",
        132015: "Template is Paused",
        132016: "Template is Disabled",
        132018: "Template parameter validation error",
        132068: "Flow is in blocked state",
        132069: "Flow is in throttled state",
        133004: "Server Temporarily Unavailable",
        133010: "Phone number Not Registered",
        135000: "Generic user error",
        2494100: "Account in maintenance mode",
    ]

    static let onPremise: [Int: String] = [
        402: "Business eligibility - Payment issue",
        408: "Message is not valid",
        410: "Message expired",
        429: "Rate limit hit",
        470: "Re-engagement message",
        471: "Spam rate limit hit",
        472: "User's number is part of an experiment",
        500: "Generic error",
        1000: "Generic error",
        1001: "Message too long",
        1002: "Invalid recipient type",
        1005: "Access denied",
        1006: "Resource not found",
        1008: "Required parameter is missing",
        1009: "Parameter value is not valid",
        1011: "Service not ready",
        1013: "User is not valid",
        1014: "Internal error",
        1015: "Too many requests",
        1016: "System overloaded",
        1021: "Bad user",
        1025: "Invalid request",
        1026: "Receiver incapable",
        2000: "Template param count mismatch",
        2001: "Template missing",
        2002: "Template fetch failed",
        2003: "Template param format mismatch",
    ]
}
