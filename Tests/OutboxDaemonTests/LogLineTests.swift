import Foundation
import Logging
import OutboxDaemon
import Sandbox
import Synchronization
import Testing
import TestSupport

/// The log: one line per event, logfmt or JSON, escaped so a value can never break a line
/// or forge a field.
@Suite("Log lines")
struct LogLineTests {
    /// 2026-11-21T00:00:00.123Z
    let millis: Int64 = 1_795_219_200_123

    func logfmt(_ message: String, _ metadata: Logger.Metadata = [:], level: Logger.Level = .info) -> String {
        LogLine.render(format: .logfmt, millis: millis, level: level, message: message, label: "wa-outbox", metadata: metadata)
    }

    @Test("logfmt: time, level, message and logger first, then the metadata by key; single tokens stay bare")
    func logfmtShape() {
        let line = logfmt("channel paused", ["message.id": "42", "channel": "sales"], level: .error)
        #expect(line == #"ts=2026-11-21T00:00:00.123Z level=error msg="channel paused" logger=wa-outbox channel=sales message.id=42"# + "\n")
    }

    @Test("logfmt quotes values with spaces, quotes, backslashes, = or newlines, and escapes them")
    func logfmtEscapes() {
        let line = logfmt("x", ["a": "two words", "b": #"say "hi""#, "c": "k=v", "d": "line1\nline2\r\tend", "e": #"back\slash"#, "f": ""])
        #expect(line == #"ts=2026-11-21T00:00:00.123Z level=info msg=x logger=wa-outbox a="two words" b="say \"hi\"" c="k=v" d="line1\nline2\r\tend" e="back\\slash" f="""# + "\n")
        #expect(line.filter { $0 == "\n" }.count == 1)
    }

    @Test("logfmt: a control character or a line separator in a value is escaped; a key cannot hold a space, = or quote")
    func logfmtHostileKeys() {
        let line = logfmt("m", ["bad key=\"x\"\n": "v", "bell": "\u{07}\u{2028}"])
        #expect(line.contains(#"bad_key__x__=v"#))
        #expect(line.contains(#"bell="\u0007\u2028""#))
        #expect(line.filter { $0 == "\n" }.count == 1)
    }

    @Test("logfmt: nested metadata becomes dotted keys; metadata named like a line field gets a _")
    func logfmtNested() {
        let line = logfmt("m", ["http": ["status": "200", "path": "/v1"], "msg": "shadow", "list": ["a", "b c"]])
        #expect(line.contains("http.path=/v1 http.status=200"))
        #expect(line.contains(#"list="[a, b c]""#))
        #expect(line.contains("_msg=shadow"))
        #expect(line.contains("msg=m "))
    }

    @Test("JSON: one object per line that decodes back to the same fields, whatever the values hold")
    func json() throws {
        let hostile = "quote \" backslash \\ newline \n tab \t nul \u{0} = end"
        let line = LogLine.render(format: .json, millis: millis, level: .debug, message: hostile, label: "wa-outbox",
                                  metadata: ["message.id": "42", "channel": "sales", "http": ["status": "200"], "level": "shadow"])
        #expect(line.hasSuffix("}\n"))
        #expect(line.filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["ts"] as? String == "2026-11-21T00:00:00.123Z")
        #expect(object["level"] as? String == "debug")
        #expect(object["msg"] as? String == hostile)
        #expect(object["message.id"] as? String == "42")
        #expect(object["_level"] as? String == "shadow")
        #expect((object["http"] as? [String: String])?["status"] == "200")
    }

    @Test("a daemon logging at trace level in either format writes one parseable line per event, with message.id and channel, and never a key or a body")
    func daemonLogs() async throws {
        for format in LogFormat.allCases {
            let dir = TempDir()
            let lines = Mutex<[String]>([])
            let logger = Logger(label: "wa-outbox") { label in
                LogLineHandler(label: label, format: format, level: .trace) { line in lines.withLock { $0.append(line) } }
            }
            let faults = SandboxFaults(recipients: [RecipientFault(to: "+4915100000009", code: 401)])
            try await withSandbox(faults: faults) { _, url in
                let config = testConfig(dir: dir, baseURL: url, channels: [TestChannel("main", key: "main-SECRET-key")])
                try await withDaemon(config, dir: dir, logger: logger) { d in
                    let id = try await d.sendText("BODY-TEXT-1", to: "+4915112345678")
                    try await d.waitFor(id, in: [.sent])
                    _ = try await d.sendText("BODY-TEXT-2", to: "+4915100000009")
                    _ = try await eventually { try await d.channels().channels.first?.paused == true }
                    _ = try await d.get("/metrics")
                }
            }
            let all = lines.withLock { $0 }
            let text = all.joined()
            #expect(!all.isEmpty)
            #expect(all.allSatisfy { $0.hasSuffix("\n") && $0.dropLast().allSatisfy { $0 != "\n" } })
            #expect(!text.contains("SECRET"))
            #expect(!text.contains("BODY-TEXT"))
            switch format {
            case .logfmt:
                #expect(all.allSatisfy { $0.hasPrefix("ts=") && $0.contains(" level=") && $0.contains(" msg=") })
                #expect(all.contains { $0.contains(#"msg=attempt"#) && $0.contains("message.id=\(1)") && $0.contains("channel=main") })
                #expect(all.contains { $0.contains(#"msg="channel paused""#) && $0.contains("level=error") })
            case .json:
                let objects = all.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                #expect(objects.count == all.count)
                #expect(objects.contains { $0["msg"] as? String == "accepted" && $0["message.id"] as? String == "1" && $0["channel"] as? String == "main" })
            }
        }
    }
}
