import Foundation

/// Checks a `/messages` body the way the real API does for the common mistakes
/// (WHATSAPP-API.md §1): envelope, presence of the typed object, text length, template
/// name and language, recipient format. Everything else is accepted as sent.
enum MessageBodyValidator {
    /// Message types the API knows; another `type` is refused as unsupported.
    static let knownTypes: Set<String> = [
        "text", "template", "image", "document", "audio", "video", "sticker",
        "interactive", "location", "contacts", "reaction",
    ]

    /// Longest text body, in characters.
    static let maxTextLength = 4096

    static func validate(_ body: some Sequence<UInt8>, api: SandboxAPI) -> Result<ValidMessage, BodyRejection> {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            return .failure(.notJSON)
        }
        return validate(object, api: api)
    }

    static func validate(_ object: [String: Any], api: SandboxAPI) -> Result<ValidMessage, BodyRejection> {
        if api == .cloud, object["messaging_product"] as? String != "whatsapp" {
            return .failure(.invalidParameter("The parameter messaging_product is required and must be \"whatsapp\"."))
        }
        // A user known only by username is addressed by BSUID in `recipient` instead of `to`.
        let bsuid = object["recipient"] as? String
        if let bsuid, object["to"] != nil || !isBSUID(bsuid) {
            return .failure(.invalidValue("The parameter recipient must be a business-scoped user id, and not given with to."))
        }
        guard let to = (object["to"] as? String) ?? bsuid, !to.isEmpty else {
            return .failure(.missing("The parameter to is required."))
        }
        guard let type = object["type"] as? String, !type.isEmpty else {
            return .failure(.missing("The parameter type is required."))
        }
        guard knownTypes.contains(type) else {
            return .failure(.unsupportedType("Message type \(type) is not supported."))
        }
        if let rejection = checkTypedObject(object, type: type) {
            return .failure(rejection)
        }
        guard let waID = bsuid ?? PhoneNumber.waID(of: to) else {
            return .failure(.invalidValue("The parameter to must be a phone number of 8 to 15 digits."))
        }
        let callbackData = api == .cloud ? object["biz_opaque_callback_data"] as? String : nil
        var valid = ValidMessage(to: to, waID: waID, type: type, callbackData: callbackData)
        if type == "template", let t = object["template"] as? [String: Any] {
            valid.templateName = t["name"] as? String
            valid.templateLanguage = (t["language"] as? [String: Any])?["code"] as? String
        }
        return .success(valid)
    }

    /// A BSUID: two capital letters, a period, then letters and digits (and at most one more period).
    static func isBSUID(_ text: String) -> Bool {
        let u = Array(text.utf8)
        guard u.count >= 4, u.count <= 260, (65...90).contains(u[0]), (65...90).contains(u[1]), u[2] == UInt8(ascii: ".") else { return false }
        return u[3...].allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == UInt8(ascii: ".") }
    }

    /// The rejection for a missing or malformed object named by `type`, or nil.
    private static func checkTypedObject(_ object: [String: Any], type: String) -> BodyRejection? {
        if type == "contacts" {
            return object["contacts"] is [Any] ? nil : .missing("The parameter contacts is required.")
        }
        guard let typed = object[type] as? [String: Any] else {
            return .missing("The parameter \(type) is required.")
        }
        switch type {
        case "text":
            guard let body = typed["body"] as? String, !body.isEmpty else {
                return .missing("The parameter text['body'] is required.")
            }
            if body.utf8.count > maxTextLength, body.count > maxTextLength {
                return .tooLong("Param text['body'] must be at most \(maxTextLength) characters long.")
            }
        case "template":
            guard let name = typed["name"] as? String, !name.isEmpty else {
                return .missing("The parameter template['name'] is required.")
            }
            guard let language = typed["language"] as? [String: Any],
                  let code = language["code"] as? String, !code.isEmpty
            else {
                return .missing("The parameter template['language']['code'] is required.")
            }
        default:
            break
        }
        return nil
    }
}
