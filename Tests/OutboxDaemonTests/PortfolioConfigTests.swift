import Foundation
import OutboxCore
import OutboxDaemon
import Testing
import TestSupport

@Suite("Config: portfolios and the example config")
struct PortfolioConfigTests {
    let env = ["KEY": "secret-key"]

    func parse(_ text: String) throws -> DaemonConfig {
        try ConfigLoader.parse(text, path: "test.toml", folder: "/tmp", environment: env)
    }

    @Test("channels name their portfolio and share its limit; unnamed ones are in the unlimited default")
    func portfolios() throws {
        let config = try parse("""
            [[portfolios]]
            name = "acme"
            messaging_limit = 2000
            use_up_to = 0.9
            [[portfolios]]
            name = "big"
            messaging_limit = "unlimited"
            [[channels]]
            name = "a"
            api_key_env = "KEY"
            portfolio = "acme"
            [[channels]]
            name = "b"
            api_key_env = "KEY"
            portfolio = "acme"
            [[channels]]
            name = "c"
            api_key_env = "KEY"
            """)
        #expect(config.channel(named: "a")?.messagingLimit == MessagingLimit(portfolio: "acme", tier: 2000, share: 0.9))
        #expect(config.channel(named: "b")?.messagingLimit.budget == 1800)
        #expect(config.channel(named: "c")?.messagingLimit == .unlimited("default"))
    }

    @Test("a bad portfolio names its key")
    func errors() {
        let channel = "\n[[channels]]\nname = \"a\"\napi_key_env = \"KEY\"\n"
        let cases: [(String, String)] = [
            ("[[portfolios]]\nname = \"p\"\nmessaging_limit = -5" + channel, "portfolios[0].messaging_limit"),
            ("[[portfolios]]\nname = \"p\"" + channel, "portfolios[0].messaging_limit"),
            ("[[portfolios]]\nname = \"p\"\nmessaging_limit = 250\nuse_up_to = 1.5" + channel, "portfolios[0].use_up_to"),
            ("[[portfolios]]\nname = \"p\"\nmessaging_limit = 250\ntier = 3" + channel, "portfolios[0].tier"),
            (channel + "portfolio = \"nope\"", "channels[0].portfolio"),
        ]
        for (text, key) in cases {
            #expect {
                _ = try parse(text)
            } throws: { error in
                "\(error)".contains(key)
            }
        }
    }

    @Test("the example config in etc/ parses, with every key it documents")
    func example() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../etc/wa-outbox.toml").standardized.path
        var text = try String(contentsOfFile: path, encoding: .utf8)
        // The key file it names exists only on a real host; read the key from the environment instead.
        text = text.replacingOccurrences(of: #"api_key_file = "/etc/wa-outbox/sales.key""#, with: #"api_key_env = "KEY""#)
        // The example subscriber too, with a secret file that exists.
        let dir = TempDir()
        let secret = dir.keyFile("crm.secret", key: "whsec_c2VjcmV0")
        text = text.replacingOccurrences(of: "# [[subscribers]]", with: "[[subscribers]]")
        text = text.replacingOccurrences(of: #"# secret_file = "/etc/wa-outbox/crm.secret""#, with: #"secret_file = "\#(secret)""#)
        // Uncomment the optional keys, so they are checked too (secret files excepted: they must exist).
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.hasPrefix("# "), line.dropFirst(2).first?.isLetter == true, line.contains(" = "),
                  !line.contains("_file"), !line.contains("secret_header"), !line.contains("api_key_env") else { return String(line) }
            return String(line.dropFirst(2))
        }
        let config = try parse(lines.joined(separator: "\n"))
        #expect(config.channels.map(\.name) == ["sales"])
        #expect(config.channels[0].messagingLimit.tier == 2000)
        #expect(config.subscribers.map(\.name) == ["crm"] && config.subscribers[0].types == [.delivered, .read, .failed, .inbound])
    }
}
