/// Why a `/messages` body was refused before any fault or limit applied; each case maps to
/// the code the real API answers with.
enum BodyRejection: Error, Sendable, Equatable {
    /// The body is not a JSON object.
    case notJSON
    /// A parameter has a value the API does not accept at all (`messaging_product`).
    case invalidParameter(String)
    /// A required parameter is absent.
    case missing(String)
    /// A parameter is present but its value is not valid (`to`).
    case invalidValue(String)
    /// A value is longer than the API allows (text body over 4096 characters).
    case tooLong(String)
    /// `type` names no message type the API knows.
    case unsupportedType(String)

    /// The error code: Cloud codes on Cloud, the On-Premise family on On-Premise.
    func code(for api: SandboxAPI) -> Int {
        switch (self, api) {
        case (.notJSON, .cloud), (.invalidParameter, .cloud), (.tooLong, .cloud): 100
        case (.missing, .cloud): 131008
        case (.invalidValue, .cloud): 131009
        case (.unsupportedType, .cloud): 131051
        case (.notJSON, .onpremise): 1025
        case (.missing, .onpremise): 1008
        case (.tooLong, .onpremise): 1001
        case (.invalidParameter, .onpremise), (.invalidValue, .onpremise), (.unsupportedType, .onpremise): 1009
        }
    }

    /// The `details` text of the answer.
    var details: String {
        switch self {
        case .notJSON: "The request body is not a JSON object."
        case .invalidParameter(let text), .missing(let text), .invalidValue(let text),
             .tooLong(let text), .unsupportedType(let text): text
        }
    }
}
