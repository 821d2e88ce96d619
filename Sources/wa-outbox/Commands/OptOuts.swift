import ArgumentParser
import Foundation
import OutboxAPI

/// `wa-outbox optouts list|add|remove [--channel C] [NUMBER]`: customers who stopped marketing messages.
struct OptOuts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optouts",
        abstract: "The marketing opt-out list: customers no marketing template goes to.",
        subcommands: [List.self, Add.self, Remove.self], defaultSubcommand: List.self)

    static func encode(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Show the list, newest first.")

        @OptionGroup var client: ClientOptions

        @Option(help: "Only this channel's list.")
        var channel: String?

        @Argument(help: "Only this customer's number.")
        var number: String?

        func run() async throws {
            var query: [String] = []
            if let channel { query.append("channel=\(OptOuts.encode(channel))") }
            if let number { query.append("to=\(OptOuts.encode(number))") }
            let path = "/v1/optouts" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
            let r = try await client.withClient { c in try await c.call(.GET, path, as: OptOutsDocument.self) }
            if client.json { printJSON(r.raw); return }
            if r.value.optouts.isEmpty { print("nobody opted out"); return }
            var table = TextTable(["CHANNEL", "NUMBER", "SINCE", "SOURCE", "DETAIL"])
            for o in r.value.optouts { table.add([o.channel, o.to, o.at ?? "", o.source ?? "", o.detail ?? ""]) }
            print(table.render())
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Put a customer on a channel's list (their queued marketing templates fail).")

        @OptionGroup var client: ClientOptions

        @Option(help: "The channel (required when several are configured).")
        var channel: String?

        @Option(help: "Why, for the audit (e.g. \"asked by phone\").")
        var detail: String?

        @Argument(help: "The customer's number.")
        var number: String

        func run() async throws {
            let r = try await client.withClient { c in
                var target = channel
                if target == nil {
                    let channels = try await c.call(.GET, "/v1/channels", as: ChannelsDocument.self).value.channels
                    guard channels.count == 1 else { throw ValidationError("several channels are configured; name one with --channel") }
                    target = channels[0].name
                }
                var body: [String: String] = ["channel": target!, "to": number]
                if let detail { body["detail"] = detail }
                return try await c.call(.POST, "/v1/optouts", body: Array(try JSONEncoder().encode(body)), as: OptOutDocument.self)
            }
            if client.json { printJSON(r.raw); return }
            print(r.value.changed == true ? "\(r.value.to) opted out on \(r.value.channel)" : "\(r.value.to) was already on \(r.value.channel)'s list")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Take a customer off the list (of one channel, or of every channel).")

        @OptionGroup var client: ClientOptions

        @Option(help: "Only this channel's list (default: every channel's).")
        var channel: String?

        @Argument(help: "The customer's number.")
        var number: String

        func run() async throws {
            let path = "/v1/optouts?to=\(OptOuts.encode(number))" + (channel.map { "&channel=\(OptOuts.encode($0))" } ?? "")
            let r = try await client.withClient { c in try await c.call(.DELETE, path, as: OptOutDocument.self) }
            if client.json { printJSON(r.raw); return }
            print("\(r.value.to) is off the opt-out list\(channel.map { " of \($0)" } ?? "")")
        }
    }
}
