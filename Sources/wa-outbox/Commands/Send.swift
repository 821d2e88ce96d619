import ArgumentParser
import Foundation
import OutboxAPI
import OutboxCore

/// `wa-outbox send`: submits one message and prints its id.
struct Send: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Submit one message and print its id.")

    @OptionGroup var client: ClientOptions

    @Option(help: "The channel to send on.")
    var channel: String

    @Option(help: "The recipient, international form, e.g. +4915112345678.")
    var to: String

    @Option(help: "Free-form text (only inside the 24-hour window).")
    var text: String?

    @Option(help: "A template name.")
    var template: String?

    @Option(help: "The template's language code, e.g. en_US.")
    var language: String?

    @Option(name: .customLong("param"), help: "A template body parameter ({{1}}, {{2}}, ... in order); repeat for each.")
    var params: [String] = []

    @Option(help: "A file holding a `message` object as JSON ('-' for stdin).")
    var messageFile: String?

    @Option(help: "An idempotency key: the same key and content is stored once.")
    var key: String?

    @Option(help: "high, normal or bulk.")
    var priority: String?

    @Option(help: "Do not send before this RFC 3339 time.")
    var notBefore: String?

    @Option(help: "Expire instead of sending after this long, e.g. 10m.")
    var expiresIn: String?

    func validate() throws {
        let kinds = [text != nil, template != nil, messageFile != nil].filter { $0 }.count
        guard kinds == 1 else { throw ValidationError("give exactly one of --text, --template or --message-file") }
        if template != nil, language == nil { throw ValidationError("--template needs --language") }
        if template == nil, !params.isEmpty { throw ValidationError("--param is only for --template") }
        if let p = priority, Priority(rawValue: p) == nil { throw ValidationError("--priority must be high, normal or bulk") }
        if let e = expiresIn {
            guard let ms = DurationText.milliseconds(e) else { throw ValidationError("--expires-in '\(e)' is not a duration such as 10m") }
            guard ms <= TimeBounds.horizonMillis else { throw ValidationError("--expires-in '\(e)' is more than 366 days") }
        }
        if let n = notBefore {
            guard let t = RFC3339.parse(n) else { throw ValidationError("--not-before '\(n)' is not an RFC 3339 time") }
            if let reason = TimeBounds.checkHorizon(t, nowMillis: Self.nowMillis()) { throw ValidationError("--not-before \(reason)") }
        }
    }

    func message() throws -> JSONValue {
        if let text { return .object(["type": .string("text"), "text": .object(["body": .string(text)])]) }
        if let template, let language {
            var t: [String: JSONValue] = ["name": .string(template), "language": .object(["code": .string(language)])]
            if !params.isEmpty {
                t["components"] = .array([.object([
                    "type": .string("body"),
                    "parameters": .array(params.map { .object(["type": .string("text"), "text": .string($0)]) }),
                ])])
            }
            return .object(["type": .string("template"), "template": .object(t)])
        }
        let path = messageFile!
        let data = path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: path)
        guard let data else { throw CLIError("cannot read \(path)") }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw CLIError("\(path) is not valid JSON: \(error)")
        }
    }

    func run() async throws {
        var body: [String: JSONValue] = ["channel": .string(channel), "to": .string(to), "message": try message()]
        if let key { body["idempotency_key"] = .string(key) }
        if let priority { body["priority"] = .string(priority) }
        if let notBefore { body["not_before"] = .string(notBefore) }
        if let expiresIn, let ms = DurationText.milliseconds(expiresIn) {
            body["expires_at"] = .string(RFC3339.format(millis: TimeMath.add(Self.nowMillis(), ms)))
        }
        let bytes = Array(JSONValue.object(body).canonicalText.utf8)
        let response = try await client.withClient { c in try await c.call(.POST, "/v1/messages", body: bytes, as: SubmitResponse.self) }
        if client.json { printJSON(response.raw) } else { print(response.value.id) }
    }

    /// The wall clock in milliseconds, as the daemon counts.
    static func nowMillis() -> Int64 { TimeMath.int64(Date().timeIntervalSince1970 * 1000, rounding: .down) ?? 0 }
}
