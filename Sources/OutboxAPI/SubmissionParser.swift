import OutboxCore

/// Reads one submission (a `POST /v1/messages` body or one NDJSON line) into a validated
/// `Submission`, naming the field at fault. Shared by the daemon and the CSV importer.
public enum SubmissionParser {
    static let knownKeys: Set<String> = ["channel", "to", "recipient", "message", "idempotency_key", "priority", "not_before", "expires_at", "import_id"]

    public static func parse(_ json: JSONValue, channels: Set<String>, nowMillis: Int64) throws(APIErrorBody) -> Submission {
        guard case .object(let o) = json else {
            throw APIErrorBody(.invalidJSON, "a submission is a JSON object, not \(json.typeName)")
        }
        // The first unknown key in sorted order: a dictionary's own order differs from one
        // parse of the same line to the next, and so would the error.
        if let unknown = o.keys.filter({ !knownKeys.contains($0) }).min() {
            throw APIErrorBody(.invalidField, "unknown field '\(unknown)'", field: unknown)
        }
        let channel = try string(o, "channel", required: true)!
        guard channels.contains(channel) else { throw unknownChannel(channel, channels) }
        return try check(channel: channel, to: o["to"], recipient: o["recipient"], message: o["message"], priority: o["priority"],
                         notBefore: o["not_before"], expiresAt: o["expires_at"], idempotencyKey: o["idempotency_key"], importID: o["import_id"],
                         nowMillis: nowMillis)
    }

    /// The fields of a submission as the CSV importer reads them from a row: `parse` without
    /// a JSON object built only to be taken apart again (the importer's costliest step), with
    /// every check and error the same.
    public struct Fields: Sendable {
        public var channel: String
        public var to: String?
        public var message: JSONValue
        public var idempotencyKey: String?
        public var priority: String?
        public var notBefore: String?
        public var expiresAt: String?
        public var importID: String?

        public init(channel: String, to: String?, message: JSONValue, idempotencyKey: String? = nil, priority: String? = nil,
                    notBefore: String? = nil, expiresAt: String? = nil, importID: String? = nil) {
            self.channel = channel
            self.to = to
            self.message = message
            self.idempotencyKey = idempotencyKey
            self.priority = priority
            self.notBefore = notBefore
            self.expiresAt = expiresAt
            self.importID = importID
        }
    }

    /// `parse(_:channels:nowMillis:)` of the object these fields would make.
    public static func parse(_ f: Fields, channels: Set<String>, nowMillis: Int64) throws(APIErrorBody) -> Submission {
        if f.channel.isEmpty { throw APIErrorBody(.invalidField, "must not be empty", field: "channel") }
        guard channels.contains(f.channel) else { throw unknownChannel(f.channel, channels) }
        return try check(channel: f.channel, to: f.to.map(JSONValue.string), recipient: nil, message: f.message, priority: f.priority.map(JSONValue.string),
                         notBefore: f.notBefore.map(JSONValue.string), expiresAt: f.expiresAt.map(JSONValue.string),
                         idempotencyKey: f.idempotencyKey.map(JSONValue.string), importID: f.importID.map(JSONValue.string), nowMillis: nowMillis)
    }

    /// Every check after the channel, in the order a body's errors are reported.
    private static func check(channel: String, to: JSONValue?, recipient bsuidValue: JSONValue?, message: JSONValue?, priority: JSONValue?,
                              notBefore: JSONValue?, expiresAt: JSONValue?, idempotencyKey: JSONValue?, importID: JSONValue?,
                              nowMillis: Int64) throws(APIErrorBody) -> Submission {
        // A customer known only by username is addressed by BSUID (`recipient`), others by number (`to`).
        let recipient: Recipient
        switch (try string(to, "to", required: false), try string(bsuidValue, "recipient", required: false)) {
        case (let to?, nil):
            do { recipient = try Recipient(parsing: to) } catch { throw APIErrorBody(.invalidField, error.message, field: "to") }
        case (nil, let bsuid?):
            do { recipient = try Recipient(bsuid: bsuid) } catch { throw APIErrorBody(.invalidField, error.message, field: "recipient") }
        case (.some, .some):
            throw APIErrorBody(.invalidField, "give either 'to' (a phone number) or 'recipient' (a BSUID), not both", field: "recipient")
        case (nil, nil):
            throw APIErrorBody(.invalidField, "is required (or 'recipient' for a customer known only by their BSUID)", field: "to")
        }
        guard let message else { throw APIErrorBody(.invalidField, "is required", field: "message") }
        var rank = Priority.normal
        if let p = try string(priority, "priority", required: false) {
            guard let parsed = Priority(rawValue: p) else {
                throw APIErrorBody(.invalidField, "must be high, normal or bulk, not '\(p)'", field: "priority")
            }
            rank = parsed
        }
        let notBefore = try time(notBefore, "not_before")
        let expiresAt = try time(expiresAt, "expires_at")
        if let expiresAt, expiresAt <= nowMillis {
            throw APIErrorBody(.expired, "expires_at \(RFC3339.format(millis: expiresAt)) is already past; nothing was stored", field: "expires_at")
        }
        do {
            return try Submission(
                channel: channel, recipient: recipient, message: message,
                idempotencyKey: try string(idempotencyKey, "idempotency_key", required: false),
                priority: rank, notBeforeMillis: notBefore, expiresAtMillis: expiresAt,
                importID: try string(importID, "import_id", required: false), nowMillis: nowMillis)
        } catch let error as ValidationError {
            throw APIErrorBody(.invalidField, error.message, field: error.field)
        } catch let error as APIErrorBody {
            throw error
        } catch {
            throw APIErrorBody(.invalidField, "\(error)")
        }
    }

    static func unknownChannel(_ channel: String, _ channels: Set<String>) -> APIErrorBody {
        APIErrorBody(.unknownChannel, "no channel named '\(channel)' is configured (known: \(channels.sorted().joined(separator: ", ")))", field: "channel")
    }

    static func string(_ o: [String: JSONValue], _ key: String, required: Bool) throws(APIErrorBody) -> String? {
        try string(o[key], key, required: required)
    }

    static func string(_ value: JSONValue?, _ key: String, required: Bool) throws(APIErrorBody) -> String? {
        guard let v = value, v != .null else {
            if required { throw APIErrorBody(.invalidField, "is required", field: key) }
            return nil
        }
        guard let s = v.stringValue else { throw APIErrorBody(.invalidField, "must be a string, not \(v.typeName)", field: key) }
        if required, s.isEmpty { throw APIErrorBody(.invalidField, "must not be empty", field: key) }
        return s
    }

    static func time(_ value: JSONValue?, _ key: String) throws(APIErrorBody) -> Int64? {
        guard let s = try string(value, key, required: false) else { return nil }
        guard let t = RFC3339.parse(s) else {
            throw APIErrorBody(.invalidField, "'\(s)' is not an RFC 3339 time such as 2026-11-21T09:30:00Z", field: key)
        }
        return t
    }
}
