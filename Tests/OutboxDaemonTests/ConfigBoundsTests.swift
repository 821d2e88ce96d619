import Foundation
@testable import OutboxDaemon
import Testing
import TestSupport

/// Config keys come from one table (allow-list, ranges, reload behaviour), every number and
/// duration has a range, and secrets are read safely (issue 12 points 1, 5, 9; red-team 4, 6,
/// 10, 17).
@Suite("Config: key table, ranges, secrets")
struct ConfigBoundsTests {
    let dir = TempDir()
    let channel = "\n[[channels]]\nname = \"a\"\napi_key_env = \"KEY\"\n"

    func parse(_ text: String, key: String = "secret-key", withChannel: Bool = true) throws -> DaemonConfig {
        try ConfigLoader.parse(text + (withChannel ? channel : ""), path: "test.toml", folder: dir.path, environment: ["KEY": key])
    }

    /// The example config's keys, commented-out ones included, as `section.key`.
    static func exampleKeys() throws -> Set<String> {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOfFile: root.appendingPathComponent("etc/wa-outbox.toml").path, encoding: .utf8)
        var section = "", keys = Set<String>()
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let text = raw.trimmingCharacters(in: .whitespaces)
            // A commented-out section (`# [[subscribers]]`) documents its keys the same way.
            let line = text.hasPrefix("# [") ? String(text.dropFirst(2)) : text
            if line.hasPrefix("[") {
                section = line.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                keys.insert(section)
                continue
            }
            // `key = value` and `# key = value` (a documented default that is off).
            let body = line.hasPrefix("# ") ? String(line.dropFirst(2)) : line
            guard let eq = body.range(of: " = "), !body.hasPrefix("#") else { continue }
            let key = String(body[..<eq.lowerBound])
            guard key.range(of: "^[a-z_]+$", options: .regularExpression) != nil else { continue }
            keys.insert(section.isEmpty ? key : "\(section).\(key)")
        }
        return keys
    }

    @Test("every key of etc/wa-outbox.toml is in the key table, and every key of the table is documented there")
    func exampleMatchesTable() throws {
        let documented = try Self.exampleKeys()
        let table = Set(ConfigKeys.all.map(\.path))
        #expect(documented.subtracting(table).isEmpty, "documented but not in ConfigKeys: \(documented.subtracting(table).sorted())")
        #expect(table.subtracting(documented).isEmpty, "in ConfigKeys but not documented: \(table.subtracting(documented).sorted())")
        #expect(Set(ConfigKeys.all.map(\.path)).count == ConfigKeys.all.count, "a key is listed twice")
    }

    @Test("every global key a reload can see change is either live or needs a restart, never silently ignored")
    func reloadCoversEveryKey() {
        for key in ConfigKeys.all where !["", "channels", "portfolios", "subscribers"].contains(key.section) && key.path != "scheduler.window_margin" {
            #expect(key.differs != nil, "\(key.path) has no comparison, so a reload would ignore it")
        }
        let restart = Set(ConfigKeys.all.filter { $0.reload == .restart }.map(\.path))
        for key in ["retention.delete_after", "retention.interval", "daemon.log_format", "webhook.metrics", "daemon.drain_timeout"] {
            #expect(restart.contains(key))
        }
    }

    @Test("a value outside its documented range is refused, naming the key", arguments: [
        ("[daemon]\ndrain_timeout = \"1e17s\"\n", "daemon.drain_timeout"),
        ("[daemon]\ndrain_timeout = \"2h\"\n", "daemon.drain_timeout"),
        ("[retry]\nunknown_outcome_wait = \"300000d\"\n", "retry.unknown_outcome_wait"),
        ("[retry]\nmax_age = \"99999999999d\"\n", "retry.max_age"),
        ("[retry]\nmax_delay = \"1e300d\"\n", "retry.max_delay"),
        ("[sender]\nrequest_timeout = \"200000d\"\n", "sender.request_timeout"),
        ("[sender]\nconnect_timeout = \"50ms\"\n", "sender.connect_timeout"),
        ("[sender]\nmax_in_flight = 0\n", "sender.max_in_flight"),
        ("[submission]\nmax_batch_lines = 9223372036854775807\n", "submission.max_batch_lines"),
        ("[submission]\nimport_lookahead = 10\n", "submission.import_lookahead"),
        ("[scheduler]\nwindow_margin = \"13h\"\n", "scheduler.window_margin"),
        ("[scheduler]\nttl_bulk = \"400d\"\n", "scheduler.ttl_bulk"),
        ("[retention]\ninterval = \"2d\"\n", "retention.interval"),
        ("[retention]\ndelete_after = \"100000d\"\n", "retention.delete_after"),
        ("[webhook]\nmax_body_bytes = 9999999999\n", "webhook.max_body_bytes"),
        ("[templates]\nrequests_per_hour = 0\n", "templates.requests_per_hour"),
        ("[templates]\nsync_interval = \"30s\"\n", "templates.sync_interval"),
        ("[templates]\nmax_templates = 1000000\n", "templates.max_templates"),
        ("[marketing]\nlimit_hold = \"10m\"\n", "marketing.limit_hold"),
        ("[marketing]\noptout_keywords = [\"\"]\n", "marketing.optout_keywords[0]"),
    ])
    func outOfRange(_ text: String, _ key: String) {
        #expect {
            _ = try parse(text)
        } throws: { error in
            guard case ConfigError.invalid(let k, let reason) = error else { return false }
            return k == key && (reason.contains("at most") || reason.contains("at least") || reason.contains("out of range"))
        }
    }

    @Test("channel numbers and durations have ranges too")
    func channelRanges() {
        for (line, key) in [("messages_per_second = 100001", "channels[0].messages_per_second"), ("pair_interval = \"2h\"", "channels[0].pair_interval"),
                            ("max_in_flight = 0", "channels[0].max_in_flight")] {
            #expect {
                _ = try parse(channel + line + "\n", withChannel: false)
            } throws: { error in
                guard case ConfigError.invalid(let k, _) = error else { return false }
                return k == key
            }
        }
    }

    @Test("an API key with a control character is refused, from the environment and from a file")
    func controlCharacters() throws {
        for key in ["abc\ndef", "abc\rdef", "abc\u{0}def", "abc\u{1B}def", "abc\u{7F}def", "abc\tdef"] {
            #expect {
                _ = try parse("", key: key)
            } throws: { error in
                "\(error)".contains("control character") && !"\(error)".contains(key)
            }
        }
        for (i, key) in ["abc\rdef", "abc\u{0}def", "abc\u{7F}def"].enumerated() {
            dir.keyFile("k\(i).key", key: key)
            #expect {
                _ = try parse("\n[[channels]]\nname = \"a\"\napi_key_file = \"k\(i).key\"\n", withChannel: false)
            } throws: { error in
                "\(error)".contains("control character")
            }
        }
        dir.keyFile("ok.key", key: "good-key\n")
        let ok = try parse("\n[[channels]]\nname = \"a\"\napi_key_file = \"ok.key\"\n", withChannel: false)
        #expect(ok.channels[0].apiKey.value == "good-key")
    }

    @Test("a key file that is a FIFO, a folder, too large or readable by others is refused at once")
    func keyFiles() throws {
        mkfifo(dir.file("fifo.key"), 0o600)
        try FileManager.default.createDirectory(atPath: dir.file("folder.key"), withIntermediateDirectories: true)
        dir.keyFile("big.key", key: String(repeating: "k", count: 70_000))
        dir.keyFile("open.key", key: "k", mode: 0o644)
        for (name, reason) in [("fifo.key", "not a regular file"), ("folder.key", "not a regular file"), ("big.key", "larger than"),
                               ("open.key", "chmod 600"), ("missing.key", "cannot read")] {
            let started = ContinuousClock.now
            #expect {
                _ = try parse("\n[[channels]]\nname = \"a\"\napi_key_file = \"\(name)\"\n", withChannel: false)
            } throws: { error in
                "\(error)".contains(reason)
            }
            #expect(ContinuousClock.now - started < .seconds(2), "\(name) must not block")
        }
    }

    @Test("a key file owned by another user is refused")
    func keyFileOwner() throws {
        guard geteuid() == 0 else { return }  // only root can give a file away
        let path = dir.keyFile("theirs.key", key: "k")
        chown(path, 12345, 12345)
        #expect {
            _ = try parse("\n[[channels]]\nname = \"a\"\napi_key_file = \"theirs.key\"\n", withChannel: false)
        } throws: { error in
            "\(error)".contains("owned by uid 12345")
        }
    }

    @Test("a webhook listener off loopback needs credentials or an explicit allow_unauthenticated")
    func webhookAuth() throws {
        #expect {
            _ = try parse("[webhook]\nlisten = \"0.0.0.0:8088\"\n")
        } throws: { error in
            guard case ConfigError.invalid(let k, let reason) = error else { return false }
            return k == "webhook.listen" && reason.contains("allow_unauthenticated")
        }
        _ = try parse("[webhook]\nlisten = \"127.0.0.1:8088\"\n")
        _ = try parse("[webhook]\nlisten = \"[::1]:8088\"\n")
        _ = try parse("[webhook]\nlisten = \"localhost:8088\"\n")
        let allowed = try parse("[webhook]\nlisten = \"0.0.0.0:8088\"\nallow_unauthenticated = true\n")
        #expect(allowed.webhook.allowUnauthenticated)
        dir.keyFile("hook.secret", key: "s3cret")
        _ = try parse("[webhook]\nlisten = \"10.0.0.5:8088\"\nsecret_header = \"X-S\"\nsecret_file = \"hook.secret\"\n")
    }

    @Test("plain http base_url only to loopback: the key must not travel in cleartext")
    func plainHTTP() throws {
        #expect {
            _ = try parse(channel + "base_url = \"http://waba-v2.360dialog.io\"\n", withChannel: false)
        } throws: { error in
            guard case ConfigError.invalid(let k, let reason) = error else { return false }
            return k == "channels[0].base_url" && reason.contains("cleartext")
        }
        _ = try parse(channel + "base_url = \"http://127.0.0.1:9090\"\n", withChannel: false)
        _ = try parse(channel + "base_url = \"http://localhost:9090\"\n", withChannel: false)
        _ = try parse(channel + "base_url = \"https://waba-v2.360dialog.io\"\n", withChannel: false)
    }

    @Test("the reload diff comes from the table: restart keys are reported, live ones applied")
    func diff() throws {
        let old = try parse("")
        let new = try parse("[daemon]\nlog_format = \"json\"\ndrain_timeout = \"20s\"\n[webhook]\nmetrics = false\nmax_body_bytes = 2048\n[retention]\ninterval = \"10m\"\n")
        let (live, restart) = ConfigKeys.changes(old: old, new: new)
        #expect(live == ["webhook.max_body_bytes"])
        #expect(Set(restart) == ["daemon.log_format", "daemon.drain_timeout", "webhook.metrics", "retention.interval"])
    }
}
