import OutboxAPI
import OutboxCore
import OutboxStore

extension MessagesController {
    /// The catalog's checks at the door (CONTRACT.md, "Templates and opt-outs"): a template the
    /// synced catalog shows cannot succeed is `422 invalid_template` with the field; a
    /// marketing template to a customer on the opt-out list is `422 opted_out`, and one to a
    /// `+1` number under `[marketing] refuse_us_numbers` is `422 marketing_not_delivered`. The
    /// category found is kept on the submission (the store holds marketing under a 131049).
    /// `verdict` is the catalog's verdict on the message (`TemplateCheck`), which rows of an
    /// import that share a shape share.
    func checkTemplate(_ s: inout Submission, verdict: TemplateVerdict) async throws {
        switch verdict {
        case .unchecked:
            return
        case .invalid(let e):
            throw APIErrorBody(.invalidTemplate, "\(e.message) (channel '\(s.channel)')", field: e.field)
        case .fits(let spec):
            s.templateCategory = spec.category
            guard spec.isMarketing else { return }
            if marketing.refuses(recipient: s.recipient.e164) {
                throw APIErrorBody(.marketingNotDelivered, "'\(spec.name)' is a marketing template: \(MarketingPolicy.usReason)", field: "to")
            }
            let optOut: OptOutRecord?
            do {
                optOut = try await store.optOut(channel: s.channel, recipient: s.recipient.e164)
            } catch {
                throw APIErrorBody(.unavailable, "\(error)")
            }
            if let o = optOut {
                throw APIErrorBody(.optedOut, "\(s.recipient) opted out of marketing messages on channel '\(s.channel)' (\(o.source), \(RFC3339.format(millis: o.atMillis))); '\(spec.name)' is a marketing template. `wa-outbox optouts remove` if they opted in again", field: "to")
            }
        }
    }
}
