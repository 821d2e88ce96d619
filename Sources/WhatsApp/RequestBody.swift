import Foundation
import OutboxCore

/// Builds the body of a `/messages` request from a stored message.
public enum RequestBody {
    /// Cloud API: the envelope (`messaging_product`, `recipient_type`, `to`,
    /// `biz_opaque_callback_data`) around the stored `message` object. Built by splicing text,
    /// so the hot path parses nothing. A BSUID recipient (a customer known only by username)
    /// is addressed with `recipient` instead of `to` (Meta's business-scoped user ids).
    public static func cloud(payload: String, to recipient: String, callbackData: String?) -> String {
        var out = Recipient.isBSUID(recipient)
            ? "{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\",\"recipient\":"
            : "{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\",\"to\":"
        out.reserveCapacity(payload.utf8.count + 128)
        JSONValue.writeString(recipient, to: &out)
        if let callbackData {
            out += ",\"biz_opaque_callback_data\":"
            JSONValue.writeString(callbackData, to: &out)
        }
        let inner = payload.drop(while: { $0 != "{" }).dropFirst()
        if inner.first(where: { !$0.isWhitespace }) != "}" { out += "," }
        out += inner
        return out
    }

    /// On-Premise API: `to` is the wa_id (digits), templates carry
    /// `language.policy = deterministic`, `preview_url` sits at the top level, and Cloud-only
    /// fields (`context`, `biz_opaque_callback_data`) are dropped.
    public static func onPremise(payload: String, to recipient: String) throws -> String {
        if Recipient.isBSUID(recipient) { throw OnPremiseBSUID() }
        guard case .object(var message) = try JSONParser.parse(payload.utf8) else {
            throw CocoaError(.coderInvalidValue)
        }
        message["to"] = .string(Recipient(normalized: recipient).waID)
        message["recipient_type"] = .string("individual")
        message["context"] = nil
        if case .object(var template)? = message["template"], case .object(var language)? = template["language"] {
            language["policy"] = .string("deterministic")
            template["language"] = .object(language)
            message["template"] = .object(template)
        }
        if case .object(var text)? = message["text"], let preview = text["preview_url"] {
            text["preview_url"] = nil
            message["text"] = .object(text)
            message["preview_url"] = preview
        }
        return JSONValue.object(message).canonicalText
    }
}

/// On-Premise (sunset by Meta in October 2025) has no business-scoped user ids.
struct OnPremiseBSUID: Error, CustomStringConvertible {
    var description: String { "the On-Premise API cannot address a customer by BSUID; use a Cloud channel" }
}
