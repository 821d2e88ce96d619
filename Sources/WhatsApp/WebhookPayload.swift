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
        guard let object = try? JSONParser.parse(bytes) else {
            throw WebhookParseError(reason: "not JSON")
        }
        guard let root = object.objectValue else { throw WebhookParseError(reason: "not a JSON object") }
        var payload = WebhookPayload()
        if let entries = root["entry"]?.arrayValue {
            for entry in entries {
                for change in entry["changes"]?.arrayValue ?? [] {
                    guard let value = change["value"]?.objectValue else { continue }
                    let phoneID = value["metadata"]?["phone_number_id"]?.stringValue
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

    private mutating func read(_ value: [String: JSONValue], phoneNumberID: String?) {
        for s in value["statuses"]?.arrayValue ?? [] {
            guard let id = s["id"]?.stringValue, let status = s["status"]?.stringValue else { continue }
            statuses.append(Status(
                wamid: id, status: status, timestampMillis: Self.millis(s["timestamp"]), recipient: s["recipient_id"]?.stringValue,
                callbackData: s["biz_opaque_callback_data"]?.stringValue,
                error: s["errors"]?.arrayValue?.first?.objectValue.map(Self.failure), phoneNumberID: phoneNumberID))
        }
        for m in value["messages"]?.arrayValue ?? [] {
            guard let from = m["from"]?.stringValue else { continue }
            // System messages (number changes and the like) are not the customer writing.
            if m["type"]?.stringValue == "system" { continue }
            inbound.append(Inbound(from: from, id: m["id"]?.stringValue, type: m["type"]?.stringValue,
                                   timestampMillis: Self.millis(m["timestamp"]), phoneNumberID: phoneNumberID))
        }
        for e in value["errors"]?.arrayValue ?? [] {
            if let e = e.objectValue { errors.append(Self.failure(e)) }
        }
    }

    /// Seconds (a string, as Meta sends them, or a number) as milliseconds; nil when out of range.
    static func millis(_ value: JSONValue?) -> Int64? {
        let seconds: Int64?
        switch value {
        case .string(let s): seconds = Int64(s)
        case .int(let i): seconds = i
        default: seconds = nil
        }
        guard let seconds else { return nil }
        let (ms, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        return overflow ? nil : ms
    }

    static func failure(_ e: [String: JSONValue]) -> APIFailure {
        let details = e["error_data"]?["details"]?.stringValue ?? e["details"]?.stringValue
        return APIFailure(httpStatus: nil, code: ResponseClassifier.int(e["code"]), title: e["title"]?.stringValue ?? e["message"]?.stringValue, details: details)
    }
}

/// Why a webhook payload could not be read; the raw payload is kept with this reason.
public struct WebhookParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
