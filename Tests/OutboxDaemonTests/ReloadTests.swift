import Foundation
import OutboxAPI
import OutboxClient
import OutboxCore
import OutboxDaemon
import Sandbox
import Testing
import TestSupport

/// Live reload: the config file is rewritten and `POST /v1/reload` applies it while the
/// daemon runs (SIGHUP runs the same code).
@Suite("Live reload")
struct ReloadTests {
    let dir = TempDir()

    /// A channel of a config file written by these tests; its key lives in `NAME.key`.
    struct FileChannel {
        var name: String
        var key: String
        var messagesPerSecond = 0
    }

    /// Writes `wa-outbox.toml` (and the key files) in the test's folder; returns its path.
    @discardableResult
    func writeConfig(_ channels: [FileChannel], baseURL: String, extra: String = "") -> String {
        var toml = """
            [daemon]
            database = "outbox.db"
            socket = "s.sock"
            drain_timeout = "15s"

            [retry]
            base_delay = "10ms"
            max_delay = "50ms"
            unknown_outcome_wait = "1m"

            \(extra)
            """
        for c in channels {
            dir.keyFile("\(c.name).key", key: c.key)
            toml += """

                [[channels]]
                name = "\(c.name)"
                base_url = "\(baseURL)"
                api_key_file = "\(c.name).key"
                messages_per_second = \(c.messagesPerSecond)
                enforce_window = false
                pair_interval = "0s"

                """
        }
        let path = dir.file("wa-outbox.toml")
        try? toml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs a daemon started from the config file, as `wa-outbox serve --config` does.
    func withFileDaemon<T: Sendable>(_ path: String, clock: any OutboxClock = SystemClock(), _ body: (DaemonHarness) async throws -> T) async throws -> T {
        let config = try ConfigLoader.load(path: path)
        return try await withDaemon(config, dir: dir, clock: clock, configPath: path, body)
    }

    func reload(_ d: DaemonHarness) async throws -> ReloadDocument {
        try await d.client.call(.POST, "/v1/reload", as: ReloadDocument.self).value
    }

    func state(_ d: DaemonHarness, _ id: String) async throws -> MessageState { try await d.message(id).state }

    @Test("a channel added to the file starts sending; before the reload it is unknown")
    func addedChannel() async throws {
        try await withSandbox { sandbox, url in
            let path = writeConfig([FileChannel(name: "main", key: "key-main")], baseURL: url)
            try await withFileDaemon(path) { d in
                let refused = try await d.post("/v1/messages", json: #"{"channel":"extra","to":"+4915112340001","message":{"type":"text","text":{"body":"x"}}}"#)
                #expect(refused.status == 400)
                #expect(String(decoding: refused.body, as: UTF8.self).contains("unknown_channel"))

                writeConfig([FileChannel(name: "main", key: "key-main"), FileChannel(name: "extra", key: "key-extra")], baseURL: url)
                let doc = try await reload(d)
                #expect(doc.added == ["extra"])
                #expect(doc.removed.isEmpty && doc.updated.isEmpty && doc.changed)

                let id = try await d.sendText("hello", to: "+4915112340001", channel: "extra")
                try await d.waitFor(id, in: [.sent])
                #expect(sandbox.state.received().map(\.key) == ["key-…"])
                #expect(try await d.channels().channels.map(\.name) == ["main", "extra"])
            }
        }
    }

    @Test("a removed channel's queued messages stay queued, untouched, and go when it returns")
    func removedChannel() async throws {
        // The clock stands still: at 1 message per second the channel sends one, then waits.
        let clock = ManualClock()
        try await withSandbox { sandbox, url in
            let both = [FileChannel(name: "main", key: "key-main"), FileChannel(name: "slow", key: "key-slow", messagesPerSecond: 1)]
            let path = writeConfig(both, baseURL: url)
            try await withFileDaemon(path, clock: clock) { d in
                var ids: [String] = []
                for i in 0..<3 { ids.append(try await d.sendText("m\(i)", to: "+491511234000\(i)", channel: "slow")) }
                #expect(try await eventually { sandbox.state.received().count == 1 })

                writeConfig([both[0]], baseURL: url)
                #expect(try await reload(d).removed == ["slow"])
                let refused = try await d.post("/v1/messages", json: #"{"channel":"slow","to":"+4915112340009","message":{"type":"text","text":{"body":"x"}}}"#)
                #expect(refused.status == 400)
                // The worker wakes for its next send, sees it is stopped, and puts its claim back.
                clock.advance(byMillis: 1_000)
                #expect(try await eventually {
                    let second = try await state(d, ids[1]), third = try await state(d, ids[2])
                    return second == .queued && third == .queued
                })
                clock.advance(byMillis: 10_000)
                try await Task.sleep(nanoseconds: 50_000_000)
                #expect(sandbox.state.received().count == 1)
                #expect(try await d.channels().channels.map(\.name) == ["main"])
                #expect(try await d.message(ids[1]).attempts?.isEmpty != false)

                writeConfig(both, baseURL: url)
                #expect(try await reload(d).added == ["slow"])
                #expect(try await eventually { try await state(d, ids[1]) == .sent })
                // Slots are (1 s + pacing_guard) / messages_per_second apart.
                clock.advance(byMillis: 1_010)
                #expect(try await eventually { try await state(d, ids[2]) == .sent })
                clock.advance(byMillis: 10_000)
                let to = sandbox.state.received().map(\.to).sorted()
                #expect(to == ["+4915112340000", "+4915112340001", "+4915112340002"])
            }
        }
    }

    @Test("a rotated key is used from the next request on, and never shows in the answer")
    func rotatedKey() async throws {
        try await withSandbox(keys: ["oldk-secret-1": SandboxKey(), "newk-secret-2": SandboxKey()]) { sandbox, url in
            let path = writeConfig([FileChannel(name: "main", key: "oldk-secret-1")], baseURL: url)
            try await withFileDaemon(path) { d in
                try await d.waitFor(try await d.sendText("before", to: "+4915112340001"), in: [.sent])
                writeConfig([FileChannel(name: "main", key: "newk-secret-2")], baseURL: url)
                let (status, body) = try await d.post("/v1/reload", json: "")
                #expect(status == 200)
                #expect(!String(decoding: body, as: UTF8.self).contains("secret"))
                let doc = try JSONDecoder().decode(ReloadDocument.self, from: Data(body))
                #expect(doc.updated == ["main": ["api_key"]])
                try await d.waitFor(try await d.sendText("after", to: "+4915112340002"), in: [.sent])
                #expect(sandbox.state.received().map(\.key) == ["oldk…", "newk…"])
            }
        }
    }

    @Test("a channel paused by its invalid key resumes when the key is rotated, and sends what waited")
    func rotatedKeyResumes() async throws {
        // 360dialog invalidated the old key: only the new one is accepted.
        try await withSandbox(keys: ["newk-secret-2": SandboxKey()]) { sandbox, url in
            let path = writeConfig([FileChannel(name: "main", key: "oldk-secret-1")], baseURL: url)
            try await withFileDaemon(path) { d in
                let id = try await d.sendText("waits", to: "+4915112340001")
                #expect(try await eventually { try await d.channels().channels[0].paused })
                #expect(try await eventually { try await state(d, id) == .queued })

                writeConfig([FileChannel(name: "main", key: "newk-secret-2")], baseURL: url)
                let doc = try await reload(d)
                #expect(doc.resumed == ["main"])
                try await d.waitFor(id, in: [.sent])
                #expect(sandbox.state.received().map(\.key) == ["newk…"])
                #expect(try await d.channels().channels[0].paused == false)
            }
        }
    }

    @Test("a changed messages_per_second is in force from the next claim")
    func changedRate() async throws {
        let clock = ManualClock()
        try await withSandbox { sandbox, url in
            let path = writeConfig([FileChannel(name: "main", key: "key-main")], baseURL: url)
            try await withFileDaemon(path, clock: clock) { d in
                #expect(try await d.channels().channels[0].limitMps == 0)
                writeConfig([FileChannel(name: "main", key: "key-main", messagesPerSecond: 2)], baseURL: url)
                #expect(try await reload(d).updated == ["main": ["messages_per_second"]])
                #expect(try await d.channels().channels[0].limitMps == 2)

                for i in 0..<5 { _ = try await d.sendText("m\(i)", to: "+491511234000\(i)") }
                // Time stands still: at 2 a second, requests leave (1 s + the 10 ms pacing guard) / 2
                // = 505 ms apart; unlimited, all five would go now.
                #expect(try await eventually { sandbox.state.received().count == 1 })
                try await Task.sleep(nanoseconds: 100_000_000)
                #expect(sandbox.state.received().count == 1)
                for sent in 2...5 {
                    clock.advance(byMillis: 505)
                    #expect(try await eventually { sandbox.state.received().count == sent })
                }
                // Whatever happened above, no request may wait on the stopped clock at shutdown.
                clock.advance(byMillis: 10_000)
            }
        }
    }

    @Test("a config that does not load is refused with the loader's message, and the old one stays", arguments: [
        ("syntax", "[daemon\n", "TOML syntax error"),
        ("unknown key", "[sender]\nmax_inflight = 3\n", "max_inflight"),
        ("key file others can read", "", "chmod 600"),
        ("key file is a FIFO", "", "not a regular file"),
        ("drain_timeout 1e17s", "", "daemon.drain_timeout"),
        ("duration out of range", "[sender]\nrequest_timeout = \"200000d\"\n", "sender.request_timeout"),
        ("window margin 1e17s", "[scheduler]\nwindow_margin = \"1e17s\"\n", "scheduler.window_margin"),
    ])
    func refused(_ problem: String, _ extra: String, _ message: String) async throws {
        try await withSandbox { sandbox, url in
            let path = writeConfig([FileChannel(name: "main", key: "key-main")], baseURL: url)
            try await withFileDaemon(path) { d in
                if problem == "syntax" {
                    try "[daemon\n".write(toFile: path, atomically: true, encoding: .utf8)
                } else {
                    writeConfig([FileChannel(name: "main", key: "key-main"), FileChannel(name: "extra", key: "key-extra")], baseURL: url, extra: extra)
                    if problem == "key file others can read" { chmod(dir.file("extra.key"), 0o644) }
                    if problem == "key file is a FIFO" {
                        unlink(dir.file("extra.key"))
                        mkfifo(dir.file("extra.key"), 0o600)
                    }
                    if problem == "drain_timeout 1e17s" {
                        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "drain_timeout = \"15s\"", with: "drain_timeout = \"1e17s\"")
                        try text.write(toFile: path, atomically: true, encoding: .utf8)
                    }
                }
                do {
                    _ = try await reload(d)
                    Issue.record("the reload was accepted")
                } catch ClientError.api(let status, let body) {
                    #expect(status == 422)
                    #expect(body.error.code == .invalidConfig)
                    #expect(body.error.message.contains(message))
                }
                #expect(try await d.channels().channels.map(\.name) == ["main"])
                try await d.waitFor(try await d.sendText("still", to: "+4915112340001"), in: [.sent])
                #expect(sandbox.state.received().count == 1)
            }
        }
    }

    @Test("settings that cannot change live are reported as needing a restart and kept")
    func needsRestart() async throws {
        try await withSandbox { _, url in
            let path = writeConfig([FileChannel(name: "main", key: "key-main")], baseURL: url)
            try await withFileDaemon(path) { d in
                let toml = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "socket = \"s.sock\"", with: "socket = \"other.sock\"")
                try toml.write(toFile: path, atomically: true, encoding: .utf8)
                let doc = try await reload(d)
                #expect(doc.needsRestart == ["daemon.socket"])
                #expect(!doc.changed)
                // Still answering on the old socket.
                #expect(try await d.get("/v1/health").status == 200)
            }
        }
    }

    @Test("reloads while messages are in flight lose nothing and send nothing twice")
    func reloadUnderLoad() async throws {
        let faults = SandboxFaults(slowRate: 1, slowMillis: 5)
        try await withSandbox(faults: faults) { sandbox, url in
            let main = FileChannel(name: "main", key: "key-main")
            let path = writeConfig([main], baseURL: url)
            try await withFileDaemon(path) { d in
                let n = 300
                let lines = (0..<n).map { #"{"channel":"main","to":"+4915\#(String(format: "%09d", $0))","message":{"type":"text","text":{"body":"b"}}}"# }
                let (status, body) = try await d.post("/v1/messages/batch", json: lines.joined(separator: "\n"))
                #expect(status == 200)
                let ids = try JSONDecoder().decode(BatchResponse.self, from: Data(body)).results.compactMap(\.id)
                #expect(ids.count == n)
                // Slowed to 200 a second at once, so the next reloads come while requests are in flight.
                for (i, rate) in [200, 250, 200, 250].enumerated() {
                    var channels = [FileChannel(name: "main", key: "key-main", messagesPerSecond: rate)]
                    if i % 2 == 0 { channels.append(FileChannel(name: "side\(i)", key: "key-side")) }
                    writeConfig(channels, baseURL: url)
                    _ = try await reload(d)
                    try await Task.sleep(nanoseconds: 100_000_000)
                }
                #expect(sandbox.state.received().count < n, "the reloads should happen while sending")
                writeConfig([main], baseURL: url)
                _ = try await reload(d)
                for id in ids { try await d.waitFor(id, in: [.sent], timeoutSeconds: 20) }
                let received = sandbox.state.received()
                #expect(received.count == n)
                #expect(Set(received.compactMap(\.callbackData)).count == n)
            }
        }
    }
}
