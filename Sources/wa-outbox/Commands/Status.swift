import ArgumentParser
import OutboxAPI

/// `wa-outbox status ID` / `status --wamid WAMID`: one message and its whole timeline.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one message and its whole timeline.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The message id.")
    var id: String?

    @Option(help: "Find the message by the wamid the API gave it.")
    var wamid: String?

    func validate() throws {
        guard (id == nil) != (wamid == nil) else { throw ValidationError("give a message ID or --wamid WAMID") }
    }

    func run() async throws {
        let path = id.map { "/v1/messages/\($0)" } ?? "/v1/messages/by-wamid/\(wamid!.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? wamid!)"
        let r = try await client.withClient { c in try await c.call(.GET, path, as: MessageDocument.self) }
        if client.json { printJSON(r.raw); return }
        let m = r.value
        var lines = [
            "id        \(m.id)",
            "channel   \(m.channel)",
            "to        \(m.to)",
            "type      \(m.type)",
            "state     \(m.state.rawValue)\(m.awaitingSettlement ? " (outcome unknown, waiting for a status until \(m.dueAt ?? "?"))" : "")",
            "priority  \(m.priority.rawValue)",
            "created   \(m.createdAt)",
            "wamid     \(m.wamid ?? "-")",
        ]
        if let e = m.lastError { lines.append("error     \(e)") }
        if let due = m.dueAt, m.state == .queued { lines.append("due       \(due)") }
        if let exp = m.expiresAt { lines.append("expires   \(exp)") }
        print(lines.joined(separator: "\n"))
        var timeline = TextTable(["AT", "WHAT", "DETAIL"])
        timeline.add([m.createdAt, "accepted", "queued"])
        var items: [(String, [String])] = []
        for a in m.attempts ?? [] {
            var detail = [a.httpStatus.map { "HTTP \($0)" }, a.errorCode.map { "code \($0)" }, a.errorTitle, a.errorDetails,
                          a.messageStatus.map { $0 == "accepted" ? "" : "\($0)" }, a.waID.map { "wa_id \($0)" },
                          a.fbtraceID.map { "fbtrace_id \($0)" }].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            if let l = a.latencyMs { detail += detail.isEmpty ? "\(l) ms" : " (\(l) ms)" }
            // A held message is not plainly sent: Meta may still drop it after its quality check.
            let what = a.messageStatus == "held_for_quality_assessment" ? "attempt: accepted, held for quality assessment" : "attempt: \(a.outcome.rawValue)"
            items.append((a.at, [a.at, what, detail]))
        }
        for e in m.events ?? [] {
            var detail = e.detail ?? ""
            if let p = e.pricing {
                let priced = [p.category, p.pricingModel, p.type, p.billable.map { $0 ? "billable" : "not billable" }].compactMap { $0 }.joined(separator: ", ")
                detail += (detail.isEmpty ? "" : "; ") + "pricing: " + priced
            }
            if let c = e.conversation, let id = c.id { detail += (detail.isEmpty ? "" : "; ") + "conversation \(id)\(c.originType.map { " (\($0))" } ?? "")" }
            items.append((e.at, [e.at, e.status, detail]))
        }
        for (_, row) in items.sorted(by: { $0.0 < $1.0 }) { timeline.add(row) }
        print("")
        print(timeline.render())
    }
}
