import ArgumentParser
import Foundation
import OutboxAPI

/// `wa-outbox templates sync|list`: the channels' template catalogs, synced from 360dialog.
struct Templates: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The template catalog: sync it from 360dialog, list it (name, language, category, status, parameters).",
        subcommands: [List.self, Sync.self], defaultSubcommand: List.self)

    static func query(_ channel: String?) -> String {
        channel.map { "?channel=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)" } ?? ""
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Show the synced templates.")

        @OptionGroup var client: ClientOptions

        @Option(help: "Only this channel's templates.")
        var channel: String?

        func run() async throws {
            let r = try await client.withClient { c in try await c.call(.GET, "/v1/templates" + Templates.query(channel), as: TemplatesDocument.self) }
            if client.json { printJSON(r.raw); return }
            print(Self.render(r.value))
        }

        static func render(_ doc: TemplatesDocument) -> String {
            if doc.templates.isEmpty { return "no templates synced; run: wa-outbox templates sync" }
            var table = TextTable(["CHANNEL", "NAME", "LANGUAGE", "CATEGORY", "STATUS", "QUALITY", "PARAMETERS"])
            for t in doc.templates {
                let status = t.pausedUntil.map { "\(t.status) (paused until \($0))" } ?? t.status
                table.add([t.channel, t.name, t.language, t.category, status, t.quality ?? "-", t.parameters])
            }
            return table.render()
        }
    }

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "sync", abstract: "Fetch the templates from 360dialog now (GET {base_url}/v1/configs/templates).")

        @OptionGroup var client: ClientOptions

        @Option(help: "Only this channel (default: every channel).")
        var channel: String?

        func run() async throws {
            let r = try await client.withClient { c in
                try await c.call(.POST, "/v1/templates/sync" + Templates.query(channel), body: [], as: TemplateSyncDocument.self)
            }
            if client.json { printJSON(r.raw) } else {
                for c in r.value.channels {
                    print(c.ok ? "\(c.channel): \(c.templates) templates, \(c.changed) changed status (\(c.requests) requests)"
                               : "\(c.channel): sync failed: \(c.error ?? "?")")
                }
            }
            if r.value.channels.contains(where: { !$0.ok }) { throw ExitCode.failure }
        }
    }
}
