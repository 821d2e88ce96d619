import OutboxCore

/// The common submission line, read without building its JSON tree: a text message, or a
/// template message whose components are headers and bodies of text parameters, with the
/// usual optional fields (`idempotency_key`, `priority`, `not_before`, `expires_at`,
/// `import_id`, `to` or `recipient`). Its payload is written straight as canonical JSON (keys
/// in the order `JSONValue.canonicalBytes` sorts them; text without escapes copied as it
/// stands, text with escapes decoded and written by the same `writeEscaped`), and it gets the
/// checks `MessageValidator` makes of these shapes (lengths in characters as `Rules.string`
/// counts them, the template's name and language).
///
/// It answers only for lines it is sure of. Anything else, whatever it is (an error of any
/// kind, an unknown or repeated key, a number, a button, a lone surrogate, a key with an
/// escape, text that is not UTF-8), is left to `parse(_:channels:nowMillis:)`, the reference,
/// which gives every error with its code, message and field. A property test
/// (`SubmissionFastPathTests`) and the `submission` fuzz target hold the two to the same
/// submission byte for byte. Measured on batches of 1,000 text lines, the slow path's tree,
/// validation and canonical text were about half of the daemon's CPU per message.
extension SubmissionParser {
    /// One NDJSON line or submission body as a submission: the fast path, else the slow one
    /// with its errors (`decode`, then `parse`).
    public static func parse(line: ArraySlice<UInt8>, channels: Set<String>, nowMillis: Int64) throws(APIErrorBody) -> Submission {
        if let s = line.withUnsafeBufferPointer({ parseFast($0, channels: channels, nowMillis: nowMillis) }) { return s }
        return try parse(try decode(line), channels: channels, nowMillis: nowMillis)
    }

    /// Parses one JSON document, telling invalid UTF-8 apart from malformed JSON.
    public static func decode(_ bytes: ArraySlice<UInt8>) throws(APIErrorBody) -> JSONValue {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw APIErrorBody(.invalidJSON, "the body is not valid UTF-8")
        }
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw APIErrorBody(.invalidJSON, "malformed JSON: \(error)")
        }
    }

    /// The line's submission if it is a common one this path is sure of, else nil.
    public static func parseFast(_ line: UnsafeBufferPointer<UInt8>, channels: Set<String>, nowMillis: Int64) -> Submission? {
        var s = LineScanner(line)
        var f = FastFields()
        guard s.take(UInt8(ascii: "{")), s.peek() != UInt8(ascii: "}") else { return nil }
        var seen: UInt16 = 0
        while true {
            guard let key = s.key(), let field = FastFields.field(key, in: s) else { return nil }
            guard seen & (1 << field) == 0 else { return nil }
            seen |= 1 << field
            if field == FastFields.message {
                guard let m = FastMessage.read(&s) else { return nil }
                f.message = m
            } else if !s.takeNull() {
                // Every other field is a string or null (absent).
                guard let t = s.string() else { return nil }
                f[field] = t
            }
            guard let more = s.next(close: UInt8(ascii: "}")) else { return nil }
            if !more { break }
        }
        s.space()
        guard s.atEnd else { return nil }
        return f.submission(s, channels: channels, nowMillis: nowMillis)
    }
}

/// The fields of a line as tokens, decoded only once the line is read whole.
struct FastFields {
    static let names: [StaticString] = ["channel", "to", "recipient", "message", "idempotency_key", "priority", "not_before", "expires_at", "import_id"]
    static let channel = 0, to = 1, recipient = 2, message = 3, key = 4, priority = 5, notBefore = 6, expiresAt = 7, importID = 8

    var channelToken, toToken, recipientToken, keyToken, priorityToken, notBeforeToken, expiresAtToken, importIDToken: LineScanner.Token?
    var message: FastMessage?

    /// The token of a string field (stored properties, not an array: no allocation per line).
    subscript(field: Int) -> LineScanner.Token? {
        get {
            switch field {
            case Self.channel: channelToken
            case Self.to: toToken
            case Self.recipient: recipientToken
            case Self.key: keyToken
            case Self.priority: priorityToken
            case Self.notBefore: notBeforeToken
            case Self.expiresAt: expiresAtToken
            case Self.importID: importIDToken
            default: nil
            }
        }
        set {
            switch field {
            case Self.channel: channelToken = newValue
            case Self.to: toToken = newValue
            case Self.recipient: recipientToken = newValue
            case Self.key: keyToken = newValue
            case Self.priority: priorityToken = newValue
            case Self.notBefore: notBeforeToken = newValue
            case Self.expiresAt: expiresAtToken = newValue
            case Self.importID: importIDToken = newValue
            default: break
            }
        }
    }

    static func field(_ key: LineScanner.Token, in s: LineScanner) -> Int? {
        names.firstIndex { s.equals(key, $0) }
    }

    func submission(_ s: LineScanner, channels: Set<String>, nowMillis: Int64) -> Submission? {
        guard let message, let channelToken = channelToken, channelToken.count > 0,
              let channel = s.text(channelToken), channels.contains(channel) else { return nil }
        let recipient: Recipient
        switch (toToken, recipientToken) {
        case (let to?, nil):
            if let e164 = Self.plainNumber(to, s) {
                recipient = Recipient(normalized: e164)
            } else {
                guard let text = s.text(to), let r = try? Recipient(parsing: text) else { return nil }
                recipient = r
            }
        case (nil, let bsuid?):
            guard let text = s.text(bsuid), let r = try? Recipient(bsuid: text) else { return nil }
            recipient = r
        default: return nil
        }
        func optional(_ field: Int) -> String?? {
            guard let t = self[field] else { return .some(nil) }
            return s.text(t).map(Optional.some)
        }
        guard let key = optional(Self.key), let priorityText = optional(Self.priority), let notBeforeText = optional(Self.notBefore),
              let expiresAtText = optional(Self.expiresAt), let importID = optional(Self.importID) else { return nil }
        var priority = Priority.normal
        if let p = priorityText {
            guard let parsed = Priority(rawValue: p) else { return nil }
            priority = parsed
        }
        var notBefore: Int64?, expiresAt: Int64?
        if let t = notBeforeText {
            guard let ms = RFC3339.parse(t) else { return nil }
            notBefore = ms
        }
        if let t = expiresAtText {
            guard let ms = RFC3339.parse(t), ms > nowMillis else { return nil }
            expiresAt = ms
        }
        guard let written = message.write(s) else { return nil }
        return try? Submission(channel: channel, recipient: recipient, checkedPayload: String(decoding: written.payload, as: UTF8.self),
                               messageType: message.isTemplate ? "template" : "text",
                               templateName: written.name, templateLanguage: written.language,
                               idempotencyKey: key, priority: priority, notBeforeMillis: notBefore, expiresAtMillis: expiresAt,
                               importID: importID, nowMillis: nowMillis)
    }
}

extension FastFields {
    /// A number already in the stored form (`+`, then 8 to 15 digits, the first not 0), which
    /// `Recipient(parsing:)` would keep as it is: the common `to`, read without its scalar walk.
    static func plainNumber(_ t: LineScanner.Token, _ s: LineScanner) -> String? {
        guard !t.escaped, (9...16).contains(t.count), s.bytes[t.start] == UInt8(ascii: "+"),
              s.bytes[t.start + 1] != UInt8(ascii: "0") else { return nil }
        for k in (t.start + 1)..<t.end where !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(s.bytes[k]) { return nil }
        return String(decoding: UnsafeBufferPointer(rebasing: s.bytes[t.start..<t.end]), as: UTF8.self)
    }
}
