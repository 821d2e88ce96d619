/// The On-Premise API's flat webhook body (WHATSAPP-API.md §6.2): `contacts` + `messages`
/// for an inbound message, `statuses` for a status; no envelope, no metadata.
struct OnPremiseWebhookPayload: Encodable, Sendable {
    var contacts: [WebhookMessageObject.Contact]?
    var messages: [WebhookMessageObject]?
    var statuses: [WebhookStatusObject]?
}
