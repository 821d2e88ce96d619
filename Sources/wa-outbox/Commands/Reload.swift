import ArgumentParser
import Foundation
import OutboxAPI

/// `wa-outbox reload`: the daemon reads its config file again, as on SIGHUP.
struct Reload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make the daemon read its config file again (as SIGHUP does) and print what changed.",
        discussion: """
            Channels added start sending; channels removed stop after their in-flight requests (their queued messages wait \
            in the database until the channel comes back); keys, limits and rules take effect from the next claim. Keys that \
            cannot change live (paths, the webhook listen address, [sender], [retry], ...) are reported as needing a restart \
            and keep their old values. A config that does not load is refused: the daemon keeps running with the old one \
            and this command exits non-zero with the loader's message.
            """)

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let r = try await client.withClient { c in try await c.call(.POST, "/v1/reload", as: ReloadDocument.self) }
        if client.json {
            printJSON(r.raw)
            return
        }
        print(Self.summary(r.value))
    }

    /// The human summary: one line per kind of change.
    static func summary(_ d: ReloadDocument) -> String {
        var lines: [String] = []
        if !d.changed { lines.append("reloaded \(d.config): nothing changed") } else { lines.append("reloaded \(d.config)") }
        if !d.added.isEmpty { lines.append("  added:    \(d.added.joined(separator: ", "))") }
        if !d.removed.isEmpty { lines.append("  removed:  \(d.removed.joined(separator: ", ")) (queued messages wait for the channel's return)") }
        for (name, keys) in d.updated.sorted(by: { $0.key < $1.key }) { lines.append("  changed:  \(name): \(keys.joined(separator: ", "))") }
        if !d.applied.isEmpty { lines.append("  applied:  \(d.applied.joined(separator: ", "))") }
        if !d.resumed.isEmpty { lines.append("  resumed:  \(d.resumed.joined(separator: ", ")) (the key changed)") }
        if !d.needsRestart.isEmpty { lines.append("  needs a restart (old values stay in force): \(d.needsRestart.joined(separator: ", "))") }
        return lines.joined(separator: "\n")
    }
}
