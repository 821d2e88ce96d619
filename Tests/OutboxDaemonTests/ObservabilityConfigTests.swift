import Foundation
import OutboxDaemon
import Testing

@Suite("Config: log format and the metrics endpoint")
struct ObservabilityConfigTests {
    let channel = "\n[[channels]]\nname = \"a\"\napi_key_env = \"KEY\"\n"

    func parse(_ text: String) throws -> DaemonConfig {
        try ConfigLoader.parse(text + channel, path: "test.toml", folder: "/tmp", environment: ["KEY": "secret-key"])
    }

    @Test("defaults: logfmt, /metrics on the webhook listener too")
    func defaults() throws {
        let config = try parse("")
        #expect(config.logFormat == .logfmt)
        #expect(config.logLevel == "info")
        #expect(config.webhook.metrics == true)
    }

    @Test("log_format json and webhook metrics off are read")
    func values() throws {
        let config = try parse("[daemon]\nlog_format = \"json\"\nlog_level = \"debug\"\n[webhook]\nmetrics = false\n")
        #expect(config.logFormat == .json)
        #expect(config.logLevel == "debug")
        #expect(config.webhook.metrics == false)
    }

    @Test("a wrong value is refused, naming the key")
    func refused() {
        for (text, key) in [("[daemon]\nlog_format = \"xml\"\n", "daemon.log_format"), ("[daemon]\nlog_format = 1\n", "daemon.log_format"),
                            ("[webhook]\nmetrics = \"yes\"\n", "webhook.metrics"), ("[daemon]\nlog_formats = \"json\"\n", "log_formats")] {
            #expect {
                _ = try parse(text)
            } throws: { error in
                "\(error)".contains(key)
            }
        }
    }
}
