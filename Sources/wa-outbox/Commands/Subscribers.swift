import ArgumentParser
import Foundation
import OutboxAPI

/// `wa-outbox subscribers`: each subscriber's cursor, lag and last error; `replay` sends again.
struct Subscribers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the event subscribers ([[subscribers]]): cursor, lag, failing, last error.",
        subcommands: [Show.self, Replay.self], defaultSubcommand: Show.self)

    /// The table (default).
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show each subscriber's progress.")

        @OptionGroup var client: ClientOptions

        func run() async throws {
            let r = try await client.withClient { c in try await c.call(.GET, "/v1/subscribers", as: SubscribersDocument.self) }
            if client.json { printJSON(r.raw); return }
            if r.value.subscribers.isEmpty { print("no [[subscribers]] configured"); return }
            var table = TextTable(["NAME", "URL", "CURSOR", "NEWEST", "LAG", "LAG_S", "STATE", "LAST ERROR"])
            for s in r.value.subscribers {
                let state = s.failing ? "failing since \(s.failingSince ?? "?")" : (s.failures > 0 ? "retrying (\(s.failures))" : "ok")
                table.add([s.name, s.url, s.cursor, s.newestCursor, String(s.lag), String(format: "%.1f", s.lagSeconds), state,
                           s.lastError.map { "\($0) at \(s.lastErrorAt ?? "?")" } ?? ""])
            }
            print(table.render())
        }
    }

    /// `replay NAME --from CURSOR`
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deliver again every event after a cursor to one subscriber, in order (--from 0: all that are kept).")

        @OptionGroup var client: ClientOptions

        @Argument(help: "The subscriber's name.")
        var name: String

        @Option(help: "Deliver the events after this cursor.")
        var from: String

        func validate() throws {
            guard let v = Int64(from), v >= 0 else { throw ValidationError("--from must be a cursor (a non-negative integer)") }
        }

        func run() async throws {
            let body = Array(#"{"from":"\#(from)"}"#.utf8)
            let path = "/v1/subscribers/\(name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name)/replay"
            let r = try await client.withClient { c in try await c.call(.POST, path, body: body, as: ReplayDocument.self) }
            if client.json { printJSON(r.raw); return }
            print("\(r.value.name): delivering again after cursor \(r.value.cursor)")
        }
    }
}
