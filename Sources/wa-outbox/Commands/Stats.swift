import ArgumentParser
import OutboxAPI

/// `wa-outbox stats`: per-channel figures.
struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Per channel: queued, sending, sent and failed lately, rate and limit, pauses.")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let r = try await client.withClient { c in try await c.call(.GET, "/v1/channels", as: ChannelsDocument.self) }
        if client.json { printJSON(r.raw); return }
        print(Self.render(r.value))
    }

    static func render(_ doc: ChannelsDocument) -> String {
        var table = TextTable(["CHANNEL", "API", "QUEUED", "SENDING", "SENT 1M", "FAILED 1M", "SENT 1H", "FAILED 1H", "RATE/LIMIT", "WINDOW", "STATE"])
        for c in doc.channels {
            let limit = c.limitMps == 0 ? "unlimited" : "\(c.limitMps)"
            let state = c.paused ? "PAUSED: \(c.pauseReason ?? "?")\(c.pausedUntil.map { " (until \($0))" } ?? "")" : "running"
            let sending = c.awaitingSettlement > 0 ? "\(c.sending) (\(c.awaitingSettlement) unknown)" : "\(c.sending)"
            table.add([c.name, c.api, "\(c.queued)", sending, "\(c.sent1m)", "\(c.failed1m)", "\(c.sent1h)", "\(c.failed1h)",
                       String(format: "%.1f/%@", c.rateMps, limit), c.enforceWindow ? "enforced" : "API only", state])
        }
        return table.render() + "\ndatabase: \(doc.databaseBytes / 1024) KiB"
    }
}
