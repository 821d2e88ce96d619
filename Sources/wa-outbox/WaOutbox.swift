import ArgumentParser
import OutboxDaemon

/// `wa-outbox`: the daemon and its command-line client.
@main
struct WaOutbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wa-outbox",
        abstract: "Send WhatsApp messages through the 360dialog API, reliably and as fast as the API allows.",
        discussion: """
            `serve` runs the daemon; the other commands talk to it over its Unix socket \
            (--socket PATH, else the socket named in --config FILE, else \(ConfigLoader.defaultPath)).
            """,
        version: WaOutboxVersion.current,
        subcommands: [
            Serve.self, Send.self, Import.self, Status.self, List.self, Stats.self, Cancel.self, Resume.self, Reload.self, Webhook.self, Events.self, Subscribers.self, Templates.self, OptOuts.self, SandboxCommand.self,
        ])
}
