import ArgumentParser
import OutboxAPI
import OutboxCore

/// `wa-outbox list`: messages, newest first.
struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List messages, newest first.")

    @OptionGroup var client: ClientOptions

    @Option(help: "Only messages in this state (queued, sending, sent, delivered, read, failed, expired, cancelled).")
    var state: String?

    @Option(help: "Only this channel.")
    var channel: String?

    @Option(help: "Only this recipient.")
    var to: String?

    @Option(name: .customLong("import"), help: "Only messages of this import.")
    var importID: String?

    @Option(help: "How many (1 to 1000).")
    var limit: Int = 50

    @Option(help: "Continue after this cursor (from a previous page).")
    var cursor: String?

    func validate() throws {
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be 1 to 1000") }
        if let state, MessageState(rawValue: state) == nil { throw ValidationError("unknown --state '\(state)'") }
    }

    func run() async throws {
        let path = "/v1/messages" + query([("state", state), ("channel", channel), ("to", to), ("import_id", importID),
                                           ("limit", String(limit)), ("cursor", cursor)])
        let r = try await client.withClient { c in try await c.call(.GET, path, as: ListPage.self) }
        if client.json { printJSON(r.raw); return }
        var table = TextTable(["ID", "CHANNEL", "TO", "TYPE", "STATE", "PRIORITY", "CREATED", "WAMID / ERROR"])
        for m in r.value.messages {
            table.add([m.id, m.channel, m.to, m.type, m.state.rawValue, m.priority.rawValue, m.createdAt, (m.state == .failed ? m.lastError : nil) ?? m.wamid ?? m.lastError ?? ""])
        }
        print(table.render())
        if let next = r.value.nextCursor { print("more: --cursor \(next)") }
    }
}
