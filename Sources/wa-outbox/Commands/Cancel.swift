import ArgumentParser
import Foundation
import OutboxAPI
import OutboxCore

/// `wa-outbox cancel ID` or `wa-outbox cancel --import ID`.
struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cancel a message, or every still-queued message of an import, that has not been handed to the API.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The message id.")
    var id: String?

    @Option(name: .customLong("import"), help: "Cancel every still-queued message of this import (its id as `import` printed it).")
    var importID: String?

    func validate() throws {
        guard (id == nil) != (importID == nil) else { throw ValidationError("give exactly one of a message ID or --import ID") }
    }

    func run() async throws {
        if let importID {
            let path = "/v1/imports/" + (importID.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? importID)
            let r = try await client.withClient { c in try await c.call(.DELETE, path, as: ImportCancelDocument.self) }
            if client.json { printJSON(r.raw) } else { print("\(r.value.cancelled) queued messages of import \(importID) cancelled") }
            return
        }
        let r = try await client.withClient { c in try await c.call(.DELETE, "/v1/messages/\(id!)", as: SubmitResponse.self) }
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
