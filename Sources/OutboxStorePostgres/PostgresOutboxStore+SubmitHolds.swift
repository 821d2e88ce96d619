import OutboxCore
import OutboxStore
import PostgresNIO

/// What holds new template messages from the start, as SQLite's `submissionHold`: their
/// template's pause in force, or (for a marketing template) the recipient's marketing limit.
/// Read for the whole batch in at most two queries (pauses in force are few), not per message.
///
/// Another daemon may pause the template while this batch commits; such a message is not held,
/// and its request's 132015 then holds it with the others (`record`), as a pause Meta reports first.
struct SubmissionHolds {
    /// Pauses in force, by channel, name and language: (until, reason).
    var pauses: [String: (until: Int64, reason: String?)] = [:]
    /// Marketing holds in force, by channel and recipient.
    var marketing: [String: Int64] = [:]

    static func key(_ parts: String...) -> String { parts.joined(separator: "\u{0}") }

    static func template(_ s: Submission) -> (name: String, language: String)? {
        guard s.isTemplate, let name = s.templateName, let language = s.templateLanguage else { return nil }
        return (name, language)
    }

    /// The hold of one submission, if any: the template's pause first, as on SQLite.
    func hold(_ s: Submission) -> (by: String, reason: String, until: Int64)? {
        guard let t = Self.template(s) else { return nil }
        if let p = pauses[Self.key(s.channel, t.name, t.language)] {
            let reason = (p.reason ?? "template '\(t.name)' (\(t.language)) is paused") + "; held until \(RFC3339.format(millis: p.until)) or until it is approved again"
            return (SQLiteOutboxStore.templateHoldKey(name: t.name, language: t.language), reason, p.until)
        }
        if s.templateCategory == "marketing", let until = marketing[Self.key(s.channel, s.recipient.e164)] {
            return ("marketing", SQLiteOutboxStore.marketingHoldReason(until), until)
        }
        return nil
    }
}

extension PostgresOutboxStore {
    /// The holds in force for a batch's template submissions (nothing is read for a batch without one).
    func submissionHolds(_ conn: PostgresConnection, _ batch: [Submission], nowMillis: Int64) async throws -> SubmissionHolds {
        var holds = SubmissionHolds()
        let templates = batch.filter { SubmissionHolds.template($0) != nil }
        guard !templates.isEmpty else { return holds }
        let channels = Array(Set(templates.map(\.channel)))
        for r in try await conn.rows("""
            SELECT channel, name, language, paused_until, reason FROM template_pauses WHERE channel = ANY(\(channels)) AND paused_until > \(nowMillis)
            """, logger: logger) {
            holds.pauses[SubmissionHolds.key(try r.get("channel"), try r.get("name"), try r.get("language"))] = (try r.get("paused_until"), try r.get("reason"))
        }
        let marketing = templates.filter { $0.templateCategory == "marketing" }
        guard !marketing.isEmpty else { return holds }
        let recipients = Array(Set(marketing.map(\.recipient.e164)))
        for r in try await conn.rows("""
            SELECT channel, recipient, marketing_hold_until FROM recipients
            WHERE recipient = ANY(\(recipients)) AND channel = ANY(\(channels)) AND marketing_hold_until > \(nowMillis)
            """, logger: logger) {
            holds.marketing[SubmissionHolds.key(try r.get("channel"), try r.get("recipient"))] = try r.get("marketing_hold_until")
        }
        return holds
    }
}
