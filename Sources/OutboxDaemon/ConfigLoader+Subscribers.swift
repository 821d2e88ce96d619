import Foundation
import OutboxCore

extension ConfigLoader {
    /// `[[subscribers]]`: services that receive the event log as signed webhooks.
    static func subscribers(_ values: [JSONValue], resolve: (String) -> String) throws(ConfigError) -> [SubscriberConfig] {
        var out: [SubscriberConfig] = []
        for (i, value) in values.enumerated() {
            let t = try Table(value, path: "subscribers[\(i)]")
            try t.allowKnown()
            guard let name = try t.string("name") else { throw t.error("name", "is required") }
            guard name.range(of: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", options: .regularExpression) != nil else {
                throw t.error("name", "'\(name)' must be 1 to 64 letters, digits, '.', '_' or '-'")
            }
            guard !out.contains(where: { $0.name == name }) else { throw t.error("name", "'\(name)' is used by two subscribers") }
            guard let url = try t.string("url") else { throw t.error("url", "is required") }
            guard url.utf8.count <= 2_048, let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw t.error("url", "'\(url.prefix(200))' is not an http(s) URL")
            }
            guard let file = try t.string("secret_file") else { throw t.error("secret_file", "is required (a file holding the signing secret, e.g. whsec_...)") }
            guard let key = SigningKey(text: try secretFile(t, "secret_file", path: resolve(file))) else {
                throw t.error("secret_file", "holds a whsec_ secret whose base64 does not decode")
            }
            var s = SubscriberConfig(name: name, url: url, secret: key)
            for (j, v) in try t.array("types").enumerated() {
                guard let text = v.stringValue, let type = EventType(rawValue: text) else {
                    throw t.error("types[\(j)]", "must be an event type: \(EventType.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                if !s.types.contains(type) { s.types.append(type) }
            }
            if t.values["channels"] != nil {
                s.channels = try t.array("channels").enumerated().map { (j, v) throws(ConfigError) -> String in
                    guard let c = v.stringValue, !c.isEmpty, c.utf8.count <= 64 else { throw t.error("channels[\(j)]", "must be a channel name") }
                    return c
                }
            }
            s.timeoutMillis = try t.duration("timeout") ?? s.timeoutMillis
            s.giveUpAfterMillis = try t.duration("give_up_after") ?? s.giveUpAfterMillis
            s.maxRetryDelayMillis = try t.duration("max_retry_delay") ?? s.maxRetryDelayMillis
            s.batchSize = try t.int("batch_size") ?? s.batchSize
            out.append(s)
        }
        return out
    }
}
