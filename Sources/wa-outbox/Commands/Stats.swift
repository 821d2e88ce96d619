import ArgumentParser
import OutboxAPI

/// `wa-outbox stats`: per-channel figures.
struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Per channel: queued, sending, sent and failed lately, rate and limit, pauses.")

    @OptionGroup var client: ClientOptions

    @Flag(help: "Redraw a compact per-channel view every interval, like top (Ctrl-C stops).")
    var watch = false

    @Option(help: "Seconds between two redraws with --watch.")
    var interval: Double = 1

    func validate() throws {
        guard interval >= 0.1, interval <= 3600 else { throw ValidationError("--interval must be between 0.1 and 3600 seconds") }
        if watch, client.json { throw ValidationError("--watch draws a table; leave out --json (or poll GET /v1/channels)") }
    }

    func run() async throws {
        if watch { return try await watchLoop() }
        let (r, subs) = try await client.withClient { c in
            (try await c.call(.GET, "/v1/channels", as: ChannelsDocument.self),
             try? await c.call(.GET, "/v1/subscribers", as: SubscribersDocument.self).value)
        }
        if client.json { printJSON(r.raw); return }
        print(Self.render(r.value))
        if let subs, let line = Self.subscribersLine(subs) { print(line) }
    }

    /// One line on the event subscribers, naming those marked failing; nil when none are configured.
    static func subscribersLine(_ doc: SubscribersDocument) -> String? {
        guard !doc.subscribers.isEmpty else { return nil }
        let failing = doc.subscribers.filter(\.failing)
        var line = "subscribers: \(doc.subscribers.count), largest lag \(doc.subscribers.map(\.lag).max() ?? 0) events"
        line += failing.isEmpty ? ", none failing"
            : "; FAILING: " + failing.map { "\($0.name) since \($0.failingSince ?? "?") (\($0.lastError ?? "no answer"))" }.joined(separator: ", ")
        return line
    }

    /// Several daemons: each daemon's liveness and channels, and who sends each channel
    /// (the figures above are the answering daemon's own). Nil on SQLite.
    static func clusterLines(_ doc: ChannelsDocument) -> String? {
        guard let daemons = doc.daemons else { return nil }
        var out = ["daemons: \(daemons.filter(\.live).count) live of \(daemons.count) (rates and in-flight figures above are this daemon's own)"]
        for d in daemons {
            out.append("  \(d.id)\(d.here ? " (this one)" : ""): \(d.live ? "live" : "NOT RENEWING"), host \(d.host) pid \(d.pid), "
                       + "started \(d.startedAt), last beat \(d.lastBeatAt); sends \(d.channels.isEmpty ? "nothing" : d.channels.joined(separator: ", "))")
        }
        for c in doc.channels {
            guard let s = c.sentBy else { continue }
            let who = s.daemon.map { "\($0)\(s.here ? " (this one)" : "") since \(s.since ?? "?"), lease token \(s.token)\(s.live ? "" : ", NOT RENEWING")" }
                ?? "nobody (free; a daemon takes it within a lease renewal)"
            out.append("sent by (\(c.name)): \(who)")
        }
        return out.joined(separator: "\n")
    }

    static func render(_ doc: ChannelsDocument) -> String {
        var table = TextTable(["CHANNEL", "API", "QUEUED", "SENDING", "SENT 1M", "FAILED 1M", "SENT 1H", "FAILED 1H", "RATE/LIMIT", "WINDOW", "OPEN WINDOWS", "TIER USE", "STATE"])
        for c in doc.channels {
            let limit = c.limitMps == 0 ? "unlimited" : "\(c.limitMps)"
            var state = c.paused ? "PAUSED: \(c.pauseReason ?? "?")\(c.pausedUntil.map { " (until \($0))" } ?? "")" : "running"
            if let h = c.spamHold { state += "; SPAM HOLD level \(h.level): \(h.held.joined(separator: ", ")) wait until \(h.until)" }
            let sending = c.awaitingSettlement > 0 ? "\(c.sending) (\(c.awaitingSettlement) unknown)" : "\(c.sending)"
            table.add([c.name, c.api, "\(c.queued)", sending, "\(c.sent1m)", "\(c.failed1m)", "\(c.sent1h)", "\(c.failed1h)",
                       String(format: "%.1f/%@", c.rateMps, limit), c.enforceWindow ? "enforced" : "API only", c.openWindows.map(String.init) ?? "-",
                       c.tierUsed.map { "\($0)/\(c.tierLimit.map(String.init) ?? "unlimited") (\(c.portfolio ?? "?"))" } ?? "-", state])
        }
        var out = table.render() + "\ndatabase: \(StatsLiveView.bytes(doc.databaseBytes))"
        for c in doc.channels {
            guard let priced = c.pricedToday, !priced.isEmpty else { continue }
            out += "\npriced today (\(c.name)): " + priced.sorted { $0.key < $1.key }
                .map { "\($0.key) \($0.value.messages) (\($0.value.billable) billable)" }.joined(separator: ", ")
        }
        for c in doc.channels {
            guard let t = c.templates else { continue }
            out += "\ntemplates (\(c.name)): \(t.count), \(t.paused) paused; last synced \(t.syncedAt ?? "never")"
                + (t.lastError.map { "; last sync failed: \($0)" } ?? "")
        }
        if let lines = Self.clusterLines(doc) { out += "\n" + lines }
        if let r = doc.retention {
            out += "\nretention: bodies erased after \(r.eraseBodiesAfter ?? "never"), rows deleted after \(r.deleteAfter ?? "never"); "
                + "last pass \(r.lastPassAt): \(r.bodiesErased) bodies erased, \(r.messagesDeleted) messages deleted, "
                + "\(r.payloadsErased) webhook payloads erased, \(r.payloadsDeleted) deleted (\(r.lastPassMillis) ms)"
        }
        return out
    }
}
