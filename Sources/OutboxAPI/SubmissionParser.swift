import OutboxCore

/// Reads one submission (a `POST /v1/messages` body or one NDJSON line) into a validated
/// `Submission`, naming the field at fault. Shared by the daemon and the CSV importer.
public enum SubmissionParser {
    static let knownKeys: Set<String> = ["channel", "to", "recipient", "message", "idempotency_key", "priority", "not_before", "expires_at", "import_id"]

    public static func parse(_ json: JSONValue, channels: Set<String>, nowMillis: Int64) throws(APIErrorBody) -> Submission {
        guard case .object(let o) = json else {
            throw APIErrorBody(.invalidJSON, "a submission is a JSON object, not \(json.typeName)")
        }
        if let unknown = o.keys.first(where: { !knownKeys.contains($0) }) {
            throw APIErrorBody(.invalidField, "unknown field '\(unknown)'", field: unknown)
        }
        let channel = try string(o, "channel", required: true)!
        guard channels.contains(channel) else {
            throw APIErrorBody(.unknownChannel, "no channel named '\(channel)' is configured (known: \(channels.sorted().joined(separator: ", ")))", field: "channel")
        }
        // A customer known only by username is addressed by BSUID (`recipient`), others by number (`to`).
        let recipient: Recipient
        switch (try string(o, "to", required: false), try string(o, "recipient", required: false)) {
        case (let to?, nil):
            do { recipient = try Recipient(parsing: to) } catch { throw APIErrorBody(.invalidField, error.message, field: "to") }
        case (nil, let bsuid?):
            do { recipient = try Recipient(bsuid: bsuid) } catch { throw APIErrorBody(.invalidField, error.message, field: "recipient") }
        case (.some, .some):
            throw APIErrorBody(.invalidField, "give either 'to' (a phone number) or 'recipient' (a BSUID), not both", field: "recipient")
        case (nil, nil):
            throw APIErrorBody(.invalidField, "is required (or 'recipient' for a customer known only by their BSUID)", field: "to")
        }
        guard let message = o["message"] else { throw APIErrorBody(.invalidField, "is required", field: "message") }
        var priority = Priority.normal
        if let p = try string(o, "priority", required: false) {
            guard let parsed = Priority(rawValue: p) else {
                throw APIErrorBody(.invalidField, "must be high, normal or bulk, not '\(p)'", field: "priority")
            }
            priority = parsed
        }
        let notBefore = try time(o, "not_before")
        let expiresAt = try time(o, "expires_at")
        if let expiresAt, expiresAt <= nowMillis {
            throw APIErrorBody(.expired, "expires_at \(RFC3339.format(millis: expiresAt)) is already past; nothing was stored", field: "expires_at")
        }
        do {
            return try Submission(
                channel: channel, recipient: recipient, message: message,
                idempotencyKey: try string(o, "idempotency_key", required: false),
                priority: priority, notBeforeMillis: notBefore, expiresAtMillis: expiresAt,
                importID: try string(o, "import_id", required: false), nowMillis: nowMillis)
        } catch let error as ValidationError {
            throw APIErrorBody(.invalidField, error.message, field: error.field)
        } catch let error as APIErrorBody {
            throw error
        } catch {
            throw APIErrorBody(.invalidField, "\(error)")
        }
    }

    static func string(_ o: [String: JSONValue], _ key: String, required: Bool) throws(APIErrorBody) -> String? {
        guard let v = o[key], v != .null else {
            if required { throw APIErrorBody(.invalidField, "is required", field: key) }
            return nil
        }
        guard let s = v.stringValue else { throw APIErrorBody(.invalidField, "must be a string, not \(v.typeName)", field: key) }
        if required, s.isEmpty { throw APIErrorBody(.invalidField, "must not be empty", field: key) }
        return s
    }

    static func time(_ o: [String: JSONValue], _ key: String) throws(APIErrorBody) -> Int64? {
        guard let s = try string(o, key, required: false) else { return nil }
        guard let t = RFC3339.parse(s) else {
            throw APIErrorBody(.invalidField, "'\(s)' is not an RFC 3339 time such as 2026-11-21T09:30:00Z", field: key)
        }
        return t
    }
}
