import Foundation
import OutboxCore

/// Writes webhook bodies in the format of each API (WHATSAPP-API.md §6): Cloud's
/// `whatsapp_business_account` envelope or On-Premise's flat `statuses` / `messages` body.
enum WebhookRenderer {
    /// Text of `error_data.details` on a failed status.
    static let failureDetails = "Message failed to send (sandbox fault for this recipient)."

    /// The JSON body of `event`, stamped with `timestamp` (Unix seconds).
    static func body(for event: WebhookEvent, api: SandboxAPI, account: FakeAccount, timestamp: Int64) -> String {
        let time = String(timestamp)
        switch (event, api) {
        case (.status(let report), .cloud):
            return encode(CloudWebhookPayload(account: account) { $0.statuses = [status(report, api: api, timestamp: time)] })
        case (.status(let report), .onpremise):
            return encode(OnPremiseWebhookPayload(statuses: [status(report, api: api, timestamp: time)]))
        case (.inbound(let inbound, let id), .cloud):
            let (contact, message) = message(inbound, id: id, account: account, timestamp: time)
            return encode(CloudWebhookPayload(account: account) {
                $0.contacts = [contact]
                $0.messages = [message]
            })
        case (.inbound(let inbound, let id), .onpremise):
            let (contact, message) = message(inbound, id: id, account: account, timestamp: time)
            return encode(OnPremiseWebhookPayload(contacts: [contact], messages: [message]))
        case (.change(let field, let value, _), _):
            // Account-level fields exist only in the Cloud envelope.
            var value = value
            value["messaging_product"] = .string("whatsapp")
            if field == "user_preferences" {
                value["metadata"] = .object(["display_phone_number": .string(account.displayPhoneNumber), "phone_number_id": .string(account.phoneNumberID)])
            }
            let change: JSONValue = .object(["field": .string(field), "value": .object(value)])
            return JSONValue.object(["object": .string("whatsapp_business_account"),
                                     "entry": .array([.object(["id": .string(account.wabaID), "time": .int(timestamp), "changes": .array([change])])])]).canonicalText
        }
    }

    /// The `statuses` entry: callback data on Cloud, pricing on `sent` only, errors on `failed`.
    static func status(_ report: WebhookEvent.StatusReport, api: SandboxAPI, timestamp: String) -> WebhookStatusObject {
        // A BSUID recipient (a username user) is named by recipient_user_id alone.
        let bsuid = report.recipientID.utf8.dropFirst(2).first == UInt8(ascii: ".")
        var object = WebhookStatusObject(
            id: report.messageID, status: report.status.rawValue, timestamp: timestamp, recipientID: bsuid ? nil : report.recipientID)
        if bsuid { object.recipientUserID = report.recipientID }
        if api == .cloud {
            object.bizOpaqueCallbackData = report.callbackData
        }
        if report.status == .sent {
            object.pricing = pricing(messageType: report.messageType, api: api)
        }
        if report.status == .failed, let code = report.errorCode {
            let title = ErrorCatalog.title(code: code, api: api)
            object.errors = switch api {
            case .cloud:
                [.init(code: code, title: title, message: title, errorData: .init(details: failureDetails))]
            case .onpremise:
                [.init(code: code, title: title)]
            }
        }
        return object
    }

    /// Pricing of a `sent` status: templates are billed (utility), other messages are free
    /// answers inside the customer service window.
    static func pricing(messageType: String, api: SandboxAPI) -> WebhookStatusObject.Pricing {
        let template = messageType == "template"
        switch api {
        case .cloud:
            return .init(billable: template, pricingModel: "PMP", type: template ? "regular" : "free_customer_service",
                         category: template ? "utility" : "service")
        case .onpremise:
            return .init(billable: true, pricingModel: "CBP", category: template ? "business_initiated" : "user_initiated")
        }
    }

    /// The sender's `contacts` entry and the `messages` entry of a simulated message.
    static func message(
        _ inbound: SimulatedInbound, id: String, account: FakeAccount, timestamp: String
    ) -> (WebhookMessageObject.Contact, WebhookMessageObject) {
        let from = inbound.from.isEmpty ? nil : PhoneNumber.digits(of: inbound.from)
        let contact = WebhookMessageObject.Contact(profile: .init(name: inbound.name ?? "Sandbox User"), waID: from, userID: inbound.userID)
        var message = WebhookMessageObject(from: from, fromUserID: inbound.userID, id: id, timestamp: timestamp, type: inbound.type)
        switch inbound.type {
        case "button":
            message.button = .init(payload: inbound.text, text: inbound.text)
        case "interactive":
            message.interactive = .init(buttonReply: .init(id: inbound.text, title: inbound.text))
        default:
            message.text = .init(body: inbound.text)
        }
        if let contextID = inbound.contextID {
            message.context = .init(from: account.displayPhoneNumber, id: contextID)
        }
        return (contact, message)
    }

    /// Compact JSON, keys sorted so a body is the same every time, slashes left alone. Encoding these plain structs cannot fail; the
    /// fallback keeps the signature simple.
    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
