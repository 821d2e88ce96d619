import ArgumentParser
import Foundation
import OutboxClient
import OutboxCore

/// `wa-outbox events`: the event log, oldest first; `--follow` keeps printing like `tail -f`.
struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the event log (message states, inbound messages, channel changes), oldest first.",
        discussion: """
            Each line starts with the event's cursor; pass it to --after to continue from there. \
            With --follow the command long-polls the daemon and keeps printing; when the daemon \
            restarts it reconnects and resumes after the last cursor it printed, so nothing is \
            skipped or printed twice.
            """)

    @OptionGroup var client: ClientOptions

    @Option(help: "Only events after this cursor (default: from the oldest kept).")
    var after: String?

    @Flag(help: "Keep printing new events as they happen.")
    var follow = false

    @Option(help: "Only events of this type (repeatable): \(EventType.allCases.map(\.rawValue).joined(separator: ", ")).")
    var type: [String] = []

    @Option(help: "Only events of this channel.")
    var channel: String?

    func validate() throws {
        for t in type where EventType(rawValue: t) == nil { throw ValidationError("unknown --type '\(t)'") }
        if let after, Int64(after) == nil { throw ValidationError("--after must be a cursor (an integer)") }
    }

    func run() async throws {
        let socket = try client.socketPath()
        let daemon = DaemonClient(socketPath: socket, timeoutSeconds: 60)
        do {
            try await stream(from: daemon, after: after)
            await daemon.shutdown()
        } catch {
            await daemon.shutdown()
            throw error
        }
    }

    /// Pages through the feed, printing each event; with --follow, forever.
    private func stream(from daemon: DaemonClient, after: String?) async throws {
        var cursor = after
        var reconnecting = false
        while true {
            let path = "/v1/events" + query([("after", cursor), ("limit", "1000"), ("wait", follow ? "30" : nil),
                                             ("type", type.isEmpty ? nil : type.joined(separator: ",")), ("channel", channel)])
            let bytes: [UInt8]
            do {
                let (status, body) = try await daemon.call(.GET, path)
                guard status == 200 else { throw CLIError(Self.errorText(status: status, body: body)) }
                bytes = body
                if reconnecting { FileHandle.standardError.write(Data("reconnected; resuming after cursor \(cursor ?? "0")\n".utf8)) }
                reconnecting = false
            } catch let error as ClientError {
                guard follow else { throw CLIError(error.description) }
                if !reconnecting { FileHandle.standardError.write(Data("\(error.description); retrying every second\n".utf8)) }
                reconnecting = true
                try await Task.sleep(for: .seconds(1))
                continue
            }
            guard let page = try? JSONParser.parse(bytes), let events = page["events"]?.arrayValue else {
                throw CLIError("unexpected answer from the daemon")
            }
            for e in events { print(client.json ? e.canonicalText : Self.line(e)) }
            fflush(nil)
            if let next = page["next_cursor"]?.stringValue { cursor = next }
            if !follow && events.count < 1000 { return }
        }
    }

    static func errorText(status: Int, body: [UInt8]) -> String {
        if let e = try? JSONParser.parse(body), let message = e["error"]?["message"]?.stringValue {
            return e["error"]?["field"]?.stringValue.map { "\($0): \(message)" } ?? message
        }
        return "HTTP \(status) from the daemon"
    }

    /// `CURSOR AT TYPE CHANNEL [message ID] key=value ...`
    static func line(_ e: JSONValue) -> String {
        let base = ["cursor", "at", "type", "channel", "message_id"]
        var parts = [e["cursor"]?.stringValue ?? "?", e["at"]?.stringValue ?? "", e["type"]?.stringValue ?? "", e["channel"]?.stringValue ?? "-"]
        if let id = e["message_id"]?.stringValue { parts.append("message \(id)") }
        for (key, value) in (e.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) where !base.contains(key) {
            switch value {
            case .null: continue
            case .string(let s): parts.append("\(key)=\(s.contains(" ") ? "\"\(s)\"" : s)")
            default: parts.append("\(key)=\(value.canonicalText)")
            }
        }
        return parts.joined(separator: "  ")
    }
}
