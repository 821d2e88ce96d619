import ArgumentParser
import Foundation
import OutboxCore

/// `wa-outbox webhook set|show`: the channel's webhook registration at 360dialog.
struct Webhook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Register or show a channel's webhook at 360dialog (the daemon makes the call with the channel's key).",
        subcommands: [WebhookSet.self, WebhookShow.self])
}

/// `wa-outbox webhook set --channel C --url URL [--basic-auth USER:PASS | --header K:V]`.
struct WebhookSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set", abstract: "Point the channel's webhook at URL.")

    @OptionGroup var client: ClientOptions

    @Option(help: "The channel.")
    var channel: String

    @Option(help: "The public https URL of the receiver (no underscore in the host, no port).")
    var url: String

    @Option(help: "USER:PASS that 360dialog sends as Basic auth (set the same in [webhook] basic_auth_file).")
    var basicAuth: String?

    @Option(name: .customLong("header"), help: "A header K:V that 360dialog sends with every webhook; repeat for more.")
    var headers: [String] = []

    func validate() throws {
        if let b = basicAuth, !b.contains(":") { throw ValidationError("--basic-auth must be USER:PASS") }
        for h in headers where !h.contains(":") { throw ValidationError("--header must be NAME:VALUE, not '\(h)'") }
    }

    func run() async throws {
        var h: [String: JSONValue] = [:]
        if let b = basicAuth { h["Authorization"] = .string("Basic " + Data(b.utf8).base64EncodedString()) }
        for header in headers {
            let parts = header.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            h[parts[0]] = .string(parts.count > 1 ? parts[1] : "")
        }
        var body: [String: JSONValue] = ["url": .string(url)]
        if !h.isEmpty { body["headers"] = .object(h) }
        let (status, bytes) = try await client.withClient { c in
            try await c.call(.POST, "/v1/channels/\(channel)/webhook", body: Array(JSONValue.object(body).canonicalText.utf8))
        }
        try report(status, bytes, json: client.json, success: "\(channel): webhook set to \(url)")
    }
}

/// `wa-outbox webhook show --channel C`.
struct WebhookShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the channel's webhook as 360dialog has it.")

    @OptionGroup var client: ClientOptions

    @Option(help: "The channel.")
    var channel: String

    func run() async throws {
        let (status, bytes) = try await client.withClient { c in try await c.call(.GET, "/v1/channels/\(channel)/webhook") }
        try report(status, bytes, json: true, success: "")
    }
}

/// Prints the answer, or fails with the daemon's or 360dialog's error.
private func report(_ status: Int, _ bytes: [UInt8], json: Bool, success: String) throws {
    let text = String(decoding: bytes, as: UTF8.self)
    guard (200...299).contains(status) else {
        if let e = try? JSONParser.parse(bytes), let message = e["error"]?["message"]?.stringValue {
            throw CLIError((e["error"]?["field"]?.stringValue.map { "\($0): " } ?? "") + message)
        }
        throw CLIError("HTTP \(status): \(text)")
    }
    print(json || success.isEmpty ? text : success)
}
