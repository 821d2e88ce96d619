import OutboxCore
/// The JSON bodies of the sandbox's `/messages` answers, written by hand because this is the
/// hot path (WHATSAPP-API.md §2).
enum ResponseRenderer {
    /// On-Premise `meta` block of every answer.
    static let onPremiseMeta = #"{"api_status":"stable","version":"2.51.2"}"#

    /// 200 body: Cloud `{"messaging_product","contacts","messages"}`, On-Premise with `meta`.
    static func success(api: SandboxAPI, input: String, waID: String, messageID: String, messageStatus: String? = nil) -> String {
        var out = api == .cloud ? #"{"messaging_product":"whatsapp","contacts":[{"input":""# : #"{"contacts":[{"input":""#
        appendEscaped(input, to: &out)
        // A BSUID recipient is answered with its user_id (there is no number to give).
        out += MessageBodyValidator.isBSUID(waID) ? #"","user_id":""# : #"","wa_id":""#
        appendEscaped(waID, to: &out)
        out += #""}],"messages":[{"id":""#
        out += messageID
        if let messageStatus {
            out += #"","message_status":""#
            appendEscaped(messageStatus, to: &out)
        }
        out += api == .cloud ? #""}]}"# : #""}],"meta":"# + onPremiseMeta + "}"
        return out
    }

    /// Error body: Cloud Graph `{"error":{...}}` or On-Premise `{"errors":[...],"meta":...}`.
    static func apiError(api: SandboxAPI, code: Int, details: String, traceID: String) -> String {
        let title = ErrorCatalog.title(code: code, api: api)
        var out: String
        switch api {
        case .cloud:
            out = #"{"error":{"message":"(#\#(code)) "#
            appendEscaped(title, to: &out)
            out += #"","type":"OAuthException","code":\#(code),"error_data":{"messaging_product":"whatsapp","details":""#
            appendEscaped(details, to: &out)
            out += #""},"fbtrace_id":""#
            appendEscaped(traceID, to: &out)
            out += #""}}"#
        case .onpremise:
            out = #"{"errors":[{"code":\#(code),"title":""#
            appendEscaped(title, to: &out)
            out += #"","details":""#
            appendEscaped(details, to: &out)
            out += #""}],"meta":"# + onPremiseMeta + "}"
        }
        return out
    }

    /// 360dialog's own gateway error, e.g. "Invalid api_key" (§2.4, snake_case spelling).
    static func gatewayError(status: Int, message: String) -> String {
        var out = #"{"meta":{"success":false,"http_code":\#(status),"developer_message":""#
        appendEscaped(message, to: &out)
        out += #""}}"#
        return out
    }

    /// Appends `text` as the inside of a JSON string literal.
    static func appendEscaped(_ text: String, to out: inout String) {
        JSONValue.writeEscaped(text, to: &out)
    }
}
