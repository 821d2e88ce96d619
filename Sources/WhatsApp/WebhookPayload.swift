import Foundation
import OutboxCore

/// What one webhook payload says, in either of 360dialog's formats: Cloud
/// (`object`/`entry`/`changes`/`value`) or On-Premise (top-level `messages`/`statuses`/`errors`).
public struct WebhookPayload: Sendable, Equatable {
    /// A message a customer wrote: opens their 24-hour window.
    public struct Inbound: Sendable, Equatable {
        /// The customer's number (digits); absent for a customer known only by username.
        public var from: String?
        /// The customer's business-scoped user id (`from_user_id`, or the sender's
        /// `contacts[].user_id`), when Meta gives it.
        public var userID: String?
        public var id: String?
        public var type: String?
        public var timestampMillis: Int64?
        public var phoneNumberID: String?
        /// The message object as it came (for the event log), and the wamid it replies to.
        public var message: JSONValue?
        public var contextID: String?
    }

    /// Delivery statuses of messages we sent, each failure with its meaning by `ErrorTable`
    /// (the payload's format says which API's table: Cloud or On-Premise).
    public var statuses: [StatusReport] = []
    public var inbound: [Inbound] = []
    /// Out-of-band errors (`errors` outside a status).
    public var errors: [APIFailure] = []
    /// Phone number ids seen in the payload (Cloud `metadata.phone_number_id`).
    public var phoneNumberIDs: Set<String> = []
    /// A template's status or quality changed (`message_template_status_update`,
    /// `message_template_quality_update`); the channel is set when the payload is routed.
    public var templateUpdates: [TemplateStatusReport] = []
    /// Customers who stopped or resumed marketing messages (`user_preferences`).
    public var preferences: [Preference] = []

    /// One entry of a `user_preferences` change.
    public struct Preference: Sendable, Equatable {
        /// The customer's number (digits, as Meta writes `wa_id`).
        public var waID: String
        public var stop: Bool
        public var detail: String?
        public var timestampMillis: Int64?
    }

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
                    payload.readField(change["field"]?.stringValue, value)
                    let phoneID = value["metadata"]?["phone_number_id"]?.stringValue
                    if let phoneID { payload.phoneNumberIDs.insert(phoneID) }
                    payload.read(value, phoneNumberID: phoneID, api: .cloud)
                }
            }
        } else if root["messages"] != nil || root["statuses"] != nil || root["errors"] != nil || root["contacts"] != nil {
            payload.read(root, phoneNumberID: nil, api: .onpremise)
        } else {
            throw WebhookParseError(reason: "neither the Cloud format (entry[].changes[].value) nor the On-Premise format (messages/statuses/errors)")
        }
        return payload
    }

    private mutating func read(_ value: [String: JSONValue], phoneNumberID: String?, api: ChannelAPI) {
        for s in value["statuses"]?.arrayValue ?? [] {
            guard let id = s["id"]?.stringValue, let status = s["status"]?.stringValue else { continue }
            let error = s["errors"]?.arrayValue?.first?.objectValue.map(Self.failure)
            statuses.append(StatusReport(
                wamid: id, status: status, timestampMillis: Self.millis(s["timestamp"]),
                callbackData: s["biz_opaque_callback_data"]?.stringValue, error: error,
                meaning: error.map { ErrorTable.meaning(code: $0.code, httpStatus: nil, text: $0.details ?? $0.title, api: api) },
                pricing: s["pricing"]?.objectValue.map(Self.pricing), conversation: s["conversation"]?.objectValue.map(Self.conversation),
                recipientUserID: s["recipient_user_id"]?.stringValue))
        }
        // The senders' `contacts` entries carry their BSUID (`user_id`) next to `wa_id`.
        var userIDs: [String: String] = [:]
        for c in value["contacts"]?.arrayValue ?? [] {
            if let wa = c["wa_id"]?.stringValue, let user = c["user_id"]?.stringValue { userIDs[wa] = user }
        }
        let onlyUser = (value["contacts"]?.arrayValue).flatMap { $0.count == 1 ? $0[0]["user_id"]?.stringValue : nil }
        for m in value["messages"]?.arrayValue ?? [] {
            let from = m["from"]?.stringValue
            let userID = m["from_user_id"]?.stringValue ?? from.flatMap { userIDs[$0] } ?? (from == nil ? onlyUser : nil)
            // A username user's message has no `from`, only their BSUID; with neither, no one wrote.
            guard from != nil || userID != nil else { continue }
            // System messages (number changes and the like) are not the customer writing.
            if m["type"]?.stringValue == "system" { continue }
            inbound.append(Inbound(from: from, userID: userID, id: m["id"]?.stringValue, type: m["type"]?.stringValue,
                                   timestampMillis: Self.millis(m["timestamp"]), phoneNumberID: phoneNumberID,
                                   message: m, contextID: m["context"]?["id"]?.stringValue))
        }
        for e in value["errors"]?.arrayValue ?? [] {
            if let e = e.objectValue { errors.append(Self.failure(e)) }
        }
    }

    /// The non-`messages` fields the daemon acts on; bounded: names ≤ 512 bytes, languages ≤ 20,
    /// reasons cut to 500, at most 1,000 preferences per change.
    private mutating func readField(_ field: String?, _ value: [String: JSONValue]) {
        func text(_ key: String, max: Int) -> String? {
            guard let s = value[key]?.stringValue, !s.isEmpty, s.utf8.count <= max else { return nil }
            return s
        }
        switch field {
        case "message_template_status_update", "message_template_quality_update":
            guard let name = text("message_template_name", max: 512) else { return }
            let status = field == "message_template_status_update" ? text("event", max: 40)?.uppercased() : nil
            let quality = text("new_quality_score", max: 20)?.uppercased()
            guard status != nil || quality != nil else { return }
            let reason = value["reason"]?.stringValue.flatMap { $0 == "NONE" ? nil : String($0.prefix(500)) }
                ?? value["other_info"]?["description"]?.stringValue.map { String($0.prefix(500)) }
            templateUpdates.append(TemplateStatusReport(channel: "", name: name, language: text("message_template_language", max: 20), status: status,
                                                        quality: quality, reason: reason,
                                                        hint: value["other_info"]?["title"]?.stringValue.map { String($0.prefix(40)) }))
        case "user_preferences":
            for p in (value["user_preferences"]?.arrayValue ?? []).prefix(1_000) {
                guard let wa = p["wa_id"]?.stringValue, wa.utf8.count <= 20, let v = p["value"]?.stringValue?.lowercased(), v == "stop" || v == "resume" else { continue }
                if let category = p["category"]?.stringValue, category != "marketing_messages" { continue }
                preferences.append(Preference(waID: wa, stop: v == "stop", detail: p["detail"]?.stringValue.map { String($0.prefix(500)) },
                                              timestampMillis: Self.millis(p["timestamp"])))
            }
        default:
            break
        }
    }

    static func pricing(_ p: [String: JSONValue]) -> Pricing {
        var billable: Bool?
        if case .bool(let b)? = p["billable"] { billable = b }
        return Pricing(billable: billable, model: p["pricing_model"]?.stringValue, type: p["type"]?.stringValue, category: p["category"]?.stringValue)
    }

    static func conversation(_ c: [String: JSONValue]) -> Conversation {
        Conversation(id: c["id"]?.stringValue, originType: c["origin"]?["type"]?.stringValue, expiresMillis: millis(c["expiration_timestamp"]))
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
        return APIFailure(httpStatus: nil, code: ResponseClassifier.int(e["code"]), title: e["title"]?.stringValue ?? e["message"]?.stringValue, details: details,
                          traceID: e["fbtrace_id"]?.stringValue)
    }
}

/// Why a webhook payload could not be read; the raw payload is kept with this reason.
public struct WebhookParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
