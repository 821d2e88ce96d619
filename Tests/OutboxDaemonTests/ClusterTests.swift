import Foundation
import OutboxAPI
import OutboxClient
import OutboxCore
import OutboxStore
import OutboxStorePostgres
import Sandbox
import Testing
import TestSupport

/// Three real daemons on one PostgreSQL database and one sandbox that all of them send to (the
/// global observer): kill -9 of one, SIGSTOP of another, SIGTERM of the third, while three
/// channels send at their limit. Nothing accepted is lost, nothing reaches the API twice, no
/// sliding second at the API holds more than a channel's limit, each recipient gets its
/// messages in order and paced, and a daemon that wakes from a freeze starts nothing for the
/// channels it lost (scale-out.md §7.3).
@Suite("Several daemons", .enabled(if: TestPostgres.available, Comment(rawValue: TestPostgres.skipReason)), .serialized)
struct ClusterTests {
    let dir = TempDir()
    let schema = TestPostgres.freshSchema()
    static let channels = ["a", "b", "c"]
    static let mps = 20
    static let perChannel = 150
    static let recipients = 15

    func writeConfig(n: Int, sandboxURL: String, database: String, webhookPort: Int) -> String {
        let path = dir.file("d\(n).toml")
        var toml = """
            [daemon]
            database = "\(database)"
            socket = "d\(n).sock"
            log_level = "notice"
            drain_timeout = "2s"

            [cluster]
            lease_ttl = "2s"
            name = "d\(n)"

            [retry]
            base_delay = "10ms"
            max_delay = "50ms"
            unknown_outcome_wait = "2s"
            unknown_outcome = "resend"

            [sender]
            request_timeout = "2s"
            connect_timeout = "200ms"

            [templates]
            sync_interval = "0s"

            [webhook]
            listen = "127.0.0.1:\(webhookPort)"

            """
        for c in Self.channels {
            dir.keyFile("\(c).key", key: "key-\(c)")
            toml += """

                [[channels]]
                name = "\(c)"
                base_url = "\(sandboxURL)"
                api_key_file = "\(c).key"
                messages_per_second = \(Self.mps)
                pair_interval = "600ms"
                enforce_window = false

                """
        }
        FileManager.default.createFile(atPath: path, contents: Data(toml.utf8))
        return path
    }

    /// Owner daemon name ("d1") of each channel, from the lease rows.
    func owners(_ store: PostgresOutboxStore) async throws -> [String: (daemon: String, token: Int64)] {
        var out: [String: (String, Int64)] = [:]
        for row in try await store.leases() {
            if let owner = row.owner { out[row.channel] = (String(owner.prefix { $0 != ":" }), row.token) }
        }
        return out
    }

    @Test("kill -9, SIGSTOP and SIGTERM of three daemons sharing three channels: no loss, no double, no second over the limit, order and pacing kept")
    func killStopTerm() async throws {
        let keys = Dictionary(uniqueKeysWithValues: Self.channels.map { ("key-\($0)", SandboxKey(messagesPerSecond: Self.mps)) })
        try await withSandbox(keys: keys) { sandbox, url in
            let database = try #require(TestPostgres.url) + "&options=-c%20search_path%3D" + schema
            let ports = (1...3).map { _ in RawHTTP.freePort() }
            var daemons: [String: DaemonProcess] = [:]
            var clients: [String: DaemonClient] = [:]
            let store = try await PostgresOutboxStore.open(try PostgresURL(parsing: database))
            defer { store.close() }
            func stopAll() async {
                for d in daemons.values where d.process.isRunning { d.signal(SIGCONT); d.signal(SIGKILL) }
                for c in clients.values { await c.shutdown() }
            }
            do {
                for n in 1...3 {
                    let config = writeConfig(n: n, sandboxURL: url, database: database, webhookPort: ports[n - 1])
                    daemons["d\(n)"] = try DaemonProcess(arguments: ["serve", "--config", config], logPath: dir.file("d\(n).log"))
                }
                for n in 1...3 {
                    try await daemons["d\(n)"]!.waitUntilReady(socketPath: dir.file("d\(n).sock"))
                    clients["d\(n)"] = DaemonClient(socketPath: dir.file("d\(n).sock"))
                }
                // The three channels spread one per daemon.
                let spread = try await eventually(timeoutSeconds: 30) { Set(try await owners(store).values.map(\.daemon)).count == 3 }
                var start = try await owners(store)
                #expect(spread, "leases: \(start)")
                let x = start["a"]!.daemon, y = start["b"]!.daemon, z = start["c"]!.daemon
                // Statuses go to z, alive through the kill and the freeze (and to y after z stops).
                for c in Self.channels {
                    sandbox.state.setWebhook(SandboxWebhook(url: "http://127.0.0.1:\(ports[Int(z.dropFirst())! - 1])/webhooks/\(c)"), forKey: "key-\(c)")
                }

                // Load: every channel's messages through the three sockets in turn.
                var ids: [(id: String, channel: String, to: String)] = []
                for i in 0..<(Self.perChannel * Self.channels.count) {
                    let channel = Self.channels[i % 3], to = "+4915100\(String(format: "%05d", (i / 3) % Self.recipients + 100 * (i % 3)))"
                    let client = clients["d\(1 + (i / 3) % 3)"]!
                    let body = #"{"channel":"\#(channel)","to":"\#(to)","message":{"type":"text","text":{"body":"m\#(i)"}}}"#
                    let (doc, _, status) = try await client.call(.POST, "/v1/messages", body: Array(body.utf8), as: SubmitResponse.self)
                    #expect(status == 202)
                    ids.append((doc.id, channel, to))
                }

                // kill -9 of a's owner, a third of the way in.
                _ = try await eventually(timeoutSeconds: 30) { sandbox.state.received().count >= 150 }
                let killedAt = Date()
                daemons[x]!.signal(SIGKILL)
                _ = try await daemons[x]!.wait()
                let movedA = try await eventually(timeoutSeconds: 15) { try await owners(store)["a"].map { $0.daemon != x } ?? false }
                #expect(movedA)
                let takeover = Date().timeIntervalSince(killedAt)
                #expect(takeover < 6, "a was taken over \(takeover) s after the kill (ttl 2 s + a poll + the handover second)")
                #expect(try await owners(store)["a"]!.token == start["a"]!.token + 1)

                // SIGSTOP of b's owner for three ttls.
                start = try await owners(store)
                let frozenToken = start["b"]!.token
                daemons[y]!.signal(SIGSTOP)
                try await Task.sleep(for: .seconds(6))
                let resumedAt = Int64(Date().timeIntervalSince1970 * 1000)
                daemons[y]!.signal(SIGCONT)
                let movedB = try await eventually(timeoutSeconds: 5) { try await owners(store)["b"].map { $0.daemon != y } ?? false }
                #expect(movedB, "b stayed with the frozen daemon")
                _ = try await eventually(timeoutSeconds: 5) { daemons[y]!.log.contains("channel lost") }
                #expect(daemons[y]!.log.contains("channel lost"), "the frozen daemon's log:\n\(daemons[y]!.log)")

                // SIGTERM of c's owner (now z, which holds every channel the others lost): a graceful handover.
                let termAt = Date()
                daemons[z]!.signal(SIGTERM)
                #expect(try await daemons[z]!.wait() == 0, "z's log:\n\(daemons[z]!.log)")
                for c in Self.channels {
                    sandbox.state.setWebhook(SandboxWebhook(url: "http://127.0.0.1:\(ports[Int(y.dropFirst())! - 1])/webhooks/\(c)"), forKey: "key-\(c)")
                }
                let handedOver = try await eventually(timeoutSeconds: 10) { try await owners(store).values.allSatisfy { $0.daemon == y } }
                #expect(handedOver)
                print("cluster test: takeover after kill -9 \(takeover) s; handover after SIGTERM (incl. z's drain) \(Date().timeIntervalSince(termAt)) s")

                // Everything ends sent (or later: delivered, read).
                let done = try await eventually(timeoutSeconds: 60) {
                    for m in ids where ![.sent, .delivered, .read].contains(try await store.timeline(id: Int64(m.id)!)?.message.state) { return false }
                    return true
                }
                if !done {
                    var states: [String: Int] = [:]
                    for m in ids { states["\(m.channel) \(try await store.timeline(id: Int64(m.id)!)?.message.state.rawValue ?? "?")", default: 0] += 1 }
                    Issue.record("not every message was sent: \(states.sorted { $0.key < $1.key }); leases \(try await owners(store)); y's log:\n\(daemons[y]!.log.suffix(6_000))")
                }

                // The resumed daemon started nothing under the lease it lost.
                #expect(try await store.attemptsUnderToken(channel: "b", token: frozenToken, startedAfter: resumedAt) == 0)

                // No double: each message's callback data reached the sandbox once.
                var copies: [String: Int] = [:]
                for r in sandbox.state.received() { copies[r.callbackData ?? "", default: 0] += 1 }
                for m in ids {
                    #expect(copies[store.callbackData(for: Int64(m.id)!)] == 1, "message \(m.id) reached the API \(copies[store.callbackData(for: Int64(m.id)!)] ?? 0) times")
                }
                // No sliding second over a channel's limit at the API, and pair pacing held across owners.
                let stats = sandbox.state.stats()
                #expect(stats.throughputViolations == 0)
                for k in stats.keys {
                    #expect(k.busiestArrivalSecond <= Self.mps, "key \(k.key): \(k.busiestArrivalSecond) arrivals in one sliding second")
                    #expect((k.minPairGapMillis ?? 600) >= 600, "key \(k.key): two requests to one recipient \(k.minPairGapMillis ?? 0) ms apart")
                }
                // Per-recipient order: arrivals in submission (id) order.
                let byData = Dictionary(uniqueKeysWithValues: ids.map { (store.callbackData(for: Int64($0.id)!), $0) })
                var lastID: [String: Int64] = [:]
                for r in sandbox.state.received() {
                    guard let m = byData[r.callbackData ?? ""] else { continue }
                    let id = Int64(m.id)!
                    #expect(id > (lastID[m.to] ?? 0), "recipient \(m.to) got message \(id) after \(lastID[m.to] ?? 0)")
                    lastID[m.to] = id
                }
            } catch {
                await stopAll()
                throw error
            }
            await stopAll()
        }
    }
}
