/// Checks a `message` object (the body of a Cloud API `/messages` request without `to`,
/// `messaging_product` and `recipient_type`) before it is stored, so that no request is spent
/// on a payload the API would refuse with 100, 131008 or 131009. Limits: WHATSAPP-API.md §1.
///
/// Errors name the field as a dotted path relative to the message, e.g. `text.body`.
public enum MessageValidator {
    /// Message types the daemon knows how to send.
    public static let knownTypes: Set<String> = [
        "text", "template", "image", "document", "audio", "video", "sticker",
        "interactive", "location", "contacts", "reaction",
    ]

    /// Types the API accepts outside the 24-hour window.
    public static func isTemplate(_ message: JSONValue) -> Bool { message["type"]?.stringValue == "template" }

    /// Validates the message and returns its type.
    @discardableResult
    public static func validate(_ message: JSONValue) throws(ValidationError) -> String {
        guard let object = message.objectValue else {
            throw ValidationError(field: "", "must be an object, not \(message.typeName)")
        }
        for reserved in ["to", "messaging_product", "recipient_type"] where object[reserved] != nil {
            throw ValidationError(field: reserved, "is set by the daemon; leave it out of the message")
        }
        guard let typeValue = object["type"] else {
            throw ValidationError(field: "type", "is required: one of \(knownTypes.sorted().joined(separator: ", "))")
        }
        guard let type = typeValue.stringValue, knownTypes.contains(type) else {
            throw ValidationError(field: "type", "unknown message type \(typeValue.canonicalText); use one of \(knownTypes.sorted().joined(separator: ", "))")
        }
        guard let body = object[type] else {
            throw ValidationError(field: type, "is required for a message of type '\(type)'")
        }
        if type != "contacts", body.objectValue == nil {
            throw ValidationError(field: type, "must be an object, not \(body.typeName)")
        }
        let r = Rules(path: type)
        switch type {
        case "text": try r.text(body)
        case "template": try r.template(body)
        case "image", "video": try r.media(body, caption: true, filename: false)
        case "document": try r.media(body, caption: true, filename: true)
        case "audio", "sticker": try r.media(body, caption: false, filename: false)
        case "interactive": try r.interactive(body)
        case "location": try r.location(body)
        case "contacts": try r.contacts(body)
        case "reaction": try r.reaction(body)
        default: break
        }
        if let context = object["context"] {
            try Rules(path: "context").string(context["message_id"], "message_id", max: 512, required: true)
        }
        if object["biz_opaque_callback_data"] != nil {
            throw ValidationError(field: "biz_opaque_callback_data", "is set by the daemon to match status webhooks; leave it out")
        }
        return type
    }

}

/// Field rules, each call checking one part of the message at `path`.
struct Rules {
    var path: String

    func fail(_ field: String, _ message: String) -> ValidationError {
        ValidationError(field: field.isEmpty ? path : "\(path).\(field)", message)
    }

    func at(_ sub: String) -> Rules { Rules(path: "\(path).\(sub)") }

    /// A string field with a length limit in characters (as the API counts them).
    @discardableResult
    func string(_ value: JSONValue?, _ field: String, max: Int, required: Bool) throws(ValidationError) -> String? {
        guard let value, value != .null else {
            if required { throw fail(field, "is required") }
            return nil
        }
        guard let s = value.stringValue else { throw fail(field, "must be a string, not \(value.typeName)") }
        if required, s.isEmpty { throw fail(field, "must not be empty") }
        // Characters never outnumber UTF-8 bytes: count them (a grapheme walk) only when the
        // bytes could be over the limit.
        guard s.utf8.count > max else { return s }
        let count = s.count
        if count > max { throw fail(field, "is \(count) characters; the limit is \(max)") }
        return s
    }

    func object(_ value: JSONValue?, _ field: String) throws(ValidationError) -> JSONValue {
        guard let value else { throw fail(field, "is required") }
        guard value.objectValue != nil else { throw fail(field, "must be an object, not \(value.typeName)") }
        return value
    }

    func array(_ value: JSONValue?, _ field: String, min: Int, max: Int) throws(ValidationError) -> [JSONValue] {
        guard let value else { throw fail(field, "is required") }
        guard let a = value.arrayValue else { throw fail(field, "must be an array, not \(value.typeName)") }
        if a.count < min { throw fail(field, "needs at least \(min) item\(min == 1 ? "" : "s")") }
        if a.count > max { throw fail(field, "has \(a.count) items; the limit is \(max)") }
        return a
    }

    func text(_ body: JSONValue) throws(ValidationError) {
        try string(body["body"], "body", max: 4096, required: true)
        if let p = body["preview_url"], case .bool = p {} else if body["preview_url"] != nil {
            throw fail("preview_url", "must be true or false")
        }
    }

    func media(_ body: JSONValue, caption: Bool, filename: Bool) throws(ValidationError) {
        let id = try string(body["id"], "id", max: 512, required: false)
        let link = try string(body["link"], "link", max: 2000, required: false)
        switch (id, link) {
        case (nil, nil): throw fail("", "needs exactly one of 'id' (uploaded media) or 'link'")
        case (.some, .some): throw fail("", "has both 'id' and 'link'; give exactly one")
        default: break
        }
        if let link, !(link.hasPrefix("https://") || link.hasPrefix("http://")) {
            throw fail("link", "must be an http(s) URL")
        }
        if caption { try string(body["caption"], "caption", max: 1024, required: false) } else if body["caption"] != nil {
            throw fail("caption", "is not allowed on this media type")
        }
        if filename { try string(body["filename"], "filename", max: 240, required: false) }
    }

    func location(_ body: JSONValue) throws(ValidationError) {
        for key in ["latitude", "longitude"] {
            guard let v = body[key] else { throw fail(key, "is required") }
            let number: Double? = switch v {
            case .int(let i): Double(i)
            case .double(let d): d
            case .string(let s): Double(s)
            default: nil
            }
            guard let number else { throw fail(key, "must be a number") }
            let limit = key == "latitude" ? 90.0 : 180.0
            // "nan" passes `abs(x) > limit`; NaN and infinity are no place on earth.
            if !number.isFinite || abs(number) > limit { throw fail(key, "must be between -\(Int(limit)) and \(Int(limit))") }
        }
        try string(body["name"], "name", max: 1000, required: false)
        try string(body["address"], "address", max: 1000, required: false)
    }

    func reaction(_ body: JSONValue) throws(ValidationError) {
        try string(body["message_id"], "message_id", max: 512, required: true)
        guard let emoji = body["emoji"] else { throw fail("emoji", "is required (an empty string removes a reaction)") }
        guard emoji.stringValue != nil else { throw fail("emoji", "must be a string") }
    }
}

