import Foundation
import OutboxCore

/// Turns an answer of `/messages` into a `SendResult`: the wamid of a 2xx (with its
/// `message_status` and `contacts[0].wa_id`), or the error in any of the shapes of
/// WHATSAPP-API.md §2 (Cloud `error`, On-Premise `errors`, 360dialog `meta` in camelCase or
/// snake_case) with its meaning from `ErrorTable` and its `fbtrace_id`.
public enum ResponseClassifier {
    public static func classify(status: Int, body: [UInt8], retryAfter: String?, api: ChannelAPI, nowMillis: Int64) -> SendResult {
        // OutboxCore's parser: several times cheaper than JSONSerialization, which showed in
        // the aggregate dispatch profile (one parse per request).
        let json = (try? JSONParser.parse(body))?.objectValue
        if (200...299).contains(status) {
            if let first = json?["messages"]?.arrayValue?.first, let id = first["id"]?.stringValue, !id.isEmpty {
                let waID = json?["contacts"]?.arrayValue?.first?["wa_id"]?.stringValue
                return .accepted(wamid: id, messageStatus: first["message_status"]?.stringValue, waID: waID)
            }
            return .unknown(detail: "HTTP \(status) without a message id in the answer")
        }
        let retryAfterMillis = retryAfter.flatMap { parseRetryAfter($0, nowMillis: nowMillis) }
        if let failure = decodeError(json, status: status) {
            let meaning = ErrorTable.meaning(code: failure.code, httpStatus: status, text: failure.details ?? failure.title, api: api)
            return .failed(failure, meaning, retryAfterMillis: retryAfterMillis)
        }
        // No error body we can read. A 500 or 504 from a gateway may come after the API took
        // the message: its outcome is unknown. Other statuses did not reach the send.
        if status == 500 || status == 504 {
            return .unknown(detail: "HTTP \(status) without an error body")
        }
        let failure = APIFailure(httpStatus: status, code: nil, title: HTTPStatusText.reason(status), details: nil)
        return .failed(failure, ErrorTable.meaning(httpStatus: status, message: nil), retryAfterMillis: retryAfterMillis)
    }

    /// The error of any known shape, or nil when the body has none.
    static func decodeError(_ json: [String: JSONValue]?, status: Int) -> APIFailure? {
        guard let json else { return nil }
        // The Marketing Messages endpoint wraps the Graph error as {"detail":{"error":{...}}}.
        if let e = json["error"]?.objectValue ?? json["detail"]?["error"]?.objectValue {
            let data = e["error_data"]?.objectValue
            return APIFailure(httpStatus: status, code: int(e["code"]), title: stripCode(e["message"]?.stringValue) ?? e["title"]?.stringValue,
                              details: data?["details"]?.stringValue ?? e["details"]?.stringValue,
                              traceID: e["fbtrace_id"]?.stringValue ?? json["fbtrace_id"]?.stringValue)
        }
        if let e = json["errors"]?.arrayValue?.first?.objectValue {
            return APIFailure(httpStatus: status, code: int(e["code"]), title: e["title"]?.stringValue ?? e["message"]?.stringValue,
                              details: e["details"]?.stringValue ?? e["error_data"]?["details"]?.stringValue,
                              traceID: e["fbtrace_id"]?.stringValue)
        }
        if let meta = json["meta"]?.objectValue {
            let message = meta["developerMessage"]?.stringValue ?? meta["developer_message"]?.stringValue
            if message != nil || meta["success"] == .bool(false) {
                return APIFailure(httpStatus: status, code: nil, title: HTTPStatusText.reason(status), details: message)
            }
        }
        return nil
    }

    static func int(_ value: JSONValue?) -> Int? {
        switch value {
        case .int(let i): Int(exactly: i)
        case .string(let s): Int(s)
        case .double(let d): Int(exactly: d.rounded(.towardZero))
        default: nil
        }
    }

    /// Meta writes titles as "(#130429) Rate limit hit"; the code is kept apart.
    static func stripCode(_ message: String?) -> String? {
        guard let message, message.hasPrefix("(#"), let close = message.firstIndex(of: ")") else { return message }
        return message[message.index(after: close)...].trimmingCharacters(in: .whitespaces)
    }

    /// Retry-After as seconds or as an HTTP date.
    public static func parseRetryAfter(_ value: String, nowMillis: Int64) -> Int64? {
        let v = value.trimmingCharacters(in: .whitespaces)
        // inf, 1e400 and 99999999999999999999 pin to Int64.max instead of trapping; the retry policy caps it by max_delay.
        if let seconds = Double(v) { return seconds >= 0 ? TimeMath.int64(seconds * 1000) : nil }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = f.date(from: v) else { return nil }
        guard let at = TimeMath.int64(date.timeIntervalSince1970 * 1000) else { return nil }
        return max(0, TimeMath.subtract(at, nowMillis))
    }
}

/// Reason phrases for the statuses the API uses.
enum HTTPStatusText {
    static func reason(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 408: "Request Timeout"
        case 413: "Payload Too Large"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "HTTP \(status)"
        }
    }
}
