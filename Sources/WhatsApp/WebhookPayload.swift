import Foundation
import OutboxCore

/// What one webhook payload says, in either of 360dialog's formats: Cloud
/// (`object`/`entry`/`changes`/`value`) or On-Premise (top-level `messages`/`statuses`/`errors`).
public struct WebhookPayload: Sendable, Equatable {
    /// A delivery status of a message we sent.
    public struct Status: Sendable, Equatable {
        /// The wamid the status is about.
        public var wamid: String
        /// `sent`, `delivered`, `read`, `failed`, `played`, ...
        public var status: String
        /// Milliseconds since 1970, from the payload's `timestamp` (seconds).
        public var timestampMillis: Int64?
        public var recipient: String?
        /// Our `biz_opaque_callback_data`, echoed back by Cloud.
        public var callbackData: String?
        /// The first error of a `failed` status.
        public var error: APIFailure?
        /// `metadata.phone_number_id` of the Cloud change it came in.
        public var phoneNumberID: String?
    }

    /// A message a customer wrote: opens their 24-hour window.
    public struct Inbound: Sendable, Equatable {
        public var from: String
        public var id: String?
        public var type: String?
        public var timestampMillis: Int64?
        public var phoneNumberID: String?
    }

    public var statuses: [Status] = []
    public var inbound: [Inbound] = []
    /// Out-of-band errors (`errors` outside a status).
    public var errors: [APIFailure] = []
    /// Phone number ids seen in the payload (Cloud `metadata.phone_number_id`).
    public var phoneNumberIDs: Set<String> = []

    public init() {}

    /// Parses a payload; throws `WebhookParseError` with a reason for anything unreadable.
    public static func parse(_ bytes: [UInt8]) throws(WebhookParseError) -> WebhookPayload {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) else {
            throw WebhookParseError(reason: "not JSON")
        }
        guard let root = object as? [String: Any] else { throw WebhookParseError(reason: "not a JSON object") }
        var payload = WebhookPayload()
        if let entries = root["entry"] as? [[String: Any]] {
            for entry in entries {
                for change in entry["changes"] as? [[String: Any]] ?? [] {
                    guard let value = change["value"] as? [String: Any] else { continue }
                    let phoneID = (value["metadata"] as? [String: Any])?["phone_number_id"] as? String
                    if let phoneID { payload.phoneNumberIDs.insert(phoneID) }
                    payload.read(value, phoneNumberID: phoneID)
                }
            }
        } else if root["messages"] != nil || root["statuses"] != nil || root["errors"] != nil || root["contacts"] != nil {
            payload.read(root, phoneNumberID: nil)
        } else {
            throw WebhookParseError(reason: "neither the Cloud format (entry[].changes[].value) nor the On-Premise format (messages/statuses/errors)")
        }
        return payload
    }

    private mutating func read(_ value: [String: Any], phoneNumberID: String?) {
        for s in value["statuses"] as? [[String: Any]] ?? [] {
            guard let id = s["id"] as? String, let status = s["status"] as? String else { continue }
            statuses.append(Status(
                wamid: id, status: status, timestampMillis: Self.millis(s["timestamp"]), recipient: s["recipient_id"] as? String,
                callbackData: s["biz_opaque_callback_data"] as? String,
                error: (s["errors"] as? [[String: Any]])?.first.map(Self.failure), phoneNumberID: phoneNumberID))
        }
        for m in value["messages"] as? [[String: Any]] ?? [] {
            guard let from = m["from"] as? String else { continue }
            // System messages (number changes and the like) are not the customer writing.
            if (m["type"] as? String) == "system" { continue }
            inbound.append(Inbound(from: from, id: m["id"] as? String, type: m["type"] as? String,
                                   timestampMillis: Self.millis(m["timestamp"]), phoneNumberID: phoneNumberID))
        }
        for e in value["errors"] as? [[String: Any]] ?? [] { errors.append(Self.failure(e)) }
    }

    static func millis(_ value: Any?) -> Int64? {
        if let s = value as? String, let seconds = Int64(s) { return seconds * 1000 }
        if let i = value as? Int { return Int64(i) * 1000 }
        return nil
    }

    static func failure(_ e: [String: Any]) -> APIFailure {
        let details = (e["error_data"] as? [String: Any])?["details"] as? String ?? e["details"] as? String
        return APIFailure(httpStatus: nil, code: ResponseClassifier.int(e["code"]), title: e["title"] as? String ?? e["message"] as? String, details: details)
    }
}

/// Why a webhook payload could not be read; the raw payload is kept with this reason.
public struct WebhookParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
