import ArgumentParser
import OutboxAPI

/// `wa-outbox cancel ID`.
struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cancel a message that has not been handed to the API.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The message id.")
    var id: String

    func run() async throws {
        let r = try await client.withClient { c in try await c.call(.DELETE, "/v1/messages/\(id)", as: SubmitResponse.self) }
        if client.json { printJSON(r.raw) } else { print("\(r.value.id) cancelled") }
    }
}

/// `wa-outbox resume CHANNEL`.
struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Resume a channel paused by a channel error (after fixing its cause).")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The channel name.")
    var channel: String

    func run() async throws {
        let r = try await client.withClient { c in try await c.call(.POST, "/v1/channels/\(channel)/resume", as: [String: String].self) }
        if client.json { printJSON(r.raw) } else { print("\(channel) resumed") }
    }
}
