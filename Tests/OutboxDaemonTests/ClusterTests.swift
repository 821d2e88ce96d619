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
/// messages in order and paced, the portfolio the channels share lets exactly its messaging
/// limit of new recipients through, and a daemon that wakes from a freeze starts nothing for
/// the channels it lost (scale-out.md §7.3).
@Suite("Several daemons", .enabled(if: TestPostgres.available, Comment(rawValue: TestPostgres.skipReason)), .serialized)
struct ClusterTests {
    let dir = TempDir()
    let schema = TestPostgres.freshSchema()
    static let channels = ["a", "b", "c"]
    static let mps = 20
    static let perChannel = 150
    static let recipients = 15
    /// The three channels share one portfolio: this many new recipients of templates in 24 h,
    /// for all daemons together; `templates` are submitted to as many distinct recipients.
    static let reachBudget = 12
    static let templates = 20

    func writeConfig(n: Int, sandboxURL: String, database: String, webhookPort: Int) -> String {
        let path = dir.file("d\(n).toml")
        var toml = """
            [daemon]
            database = "\(database)"
            socket = "d\(n).sock"
            log_level = "info"
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
            # Three daemons, PostgreSQL and the sandbox share two loaded cores: a request's write
            # and its arrival at the sandbox are often 20-40 ms apart, where a network's are 10.
            pacing_guard = "50ms"

            [templates]
            sync_interval = "0s"

            [webhook]
            listen = "127.0.0.1:\(webhookPort)"

            [[portfolios]]
            name = "shop"
            messaging_limit = \(Self.reachBudget)
            use_up_to = 1

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
                portfolio = "shop"

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

    /// Copies the daemons' logs out of the test's folder (which goes with the test).
    func keepLogs(in folder: String) {
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for n in 1...3 { try? FileManager.default.copyItem(atPath: dir.file("d\(n).log"), toPath: folder + "/d\(n).log") }
    }

    /// Seconds since the test began, for the printed timeline.
    static func mark(_ t0: Date, _ what: String) { print("cluster test +\(String(format: "%.1f", Date().timeIntervalSince(t0))) s: \(what)") }

    @Test("kill -9 and SIGTERM of daemons sharing three channels: no loss, no double, no second over the limit, order, pacing and the portfolio budget kept")
    func killAndTerm() async throws { try await scenario(freeze: false) }

    /// A daemon frozen for three ttls, possibly inside a transaction: the daemon taking its
    /// channel over ends its database sessions (so the rows it locked are free) and the event
    /// log needs no lock across transactions (migration 0003), so nobody waits for it.
    @Test("SIGSTOP as well: a frozen daemon that wakes starts nothing for the channels it lost")
    func killStopTerm() async throws { try await scenario(freeze: true) }

    func scenario(freeze: Bool) async throws {
        let keys = Dictionary(uniqueKeysWithValues: Self.channels.map { ("key-\($0)", SandboxKey(messagesPerSecond: Self.mps)) })
        // Statuses are retried for about 25 s, as Meta retries for days: a receiver slowed by the
        // loaded machine must not lose the status that settles an unknown outcome (a status
        // given up is a resend, by `unknown_outcome = "resend"`, and the no-double check fails).
        try await withSandbox(keys: keys, webhookAttempts: 10) { sandbox, url in
            let t0 = Date()
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
                // Every file first: a key file rewritten while a daemon reads it is briefly 0644.
                let configs = (1...3).map { n in writeConfig(n: n, sandboxURL: url, database: database, webhookPort: ports[n - 1]) }
                for n in 1...3 {
                    daemons["d\(n)"] = try DaemonProcess(arguments: ["serve", "--config", configs[n - 1]], logPath: dir.file("d\(n).log"))
                }
                for n in 1...3 {
                    try await daemons["d\(n)"]!.waitUntilReady(socketPath: dir.file("d\(n).sock"))
                    clients["d\(n)"] = DaemonClient(socketPath: dir.file("d\(n).sock"))
                }
                // The three channels spread one per daemon.
                let spread = try await eventually(timeoutSeconds: 60) { Set(try await owners(store).values.map(\.daemon)).count == 3 }
                var start = try await owners(store)
                #expect(spread, "leases: \(start)")
                Self.mark(t0, "three daemons up, one channel each")
                let x = start["a"]!.daemon, y = start["b"]!.daemon, z = start["c"]!.daemon
                // Statuses go to z, alive through the kill and the freeze (and to y after z stops).
                for c in Self.channels {
                    sandbox.state.setWebhook(SandboxWebhook(url: "http://127.0.0.1:\(ports[Int(z.dropFirst())! - 1])/webhooks/\(c)"), forKey: "key-\(c)")
                }

                // Load: a batch through each daemon's socket, each with every channel's messages.
                var ids: [(id: String, channel: String, to: String)] = []
                for n in 1...3 {
                    var lines: [String] = [], meta: [(String, String)] = []
                    for i in stride(from: n - 1, to: Self.perChannel * Self.channels.count, by: 3) {
                        let channel = Self.channels[i % 3], to = "+4915100\(String(format: "%05d", (i / 3) % Self.recipients + 100 * (i % 3)))"
                        lines.append(#"{"channel":"\#(channel)","to":"\#(to)","message":{"type":"text","text":{"body":"m\#(i)"}}}"#)
                        meta.append((channel, to))
                    }
                    let (_, body) = try await clients["d\(n)"]!.call(.POST, "/v1/messages/batch", body: Array(lines.joined(separator: "\n").utf8))
                    let results = try JSONDecoder().decode(BatchResponse.self, from: Data(body)).results
                    #expect(results.count == lines.count && results.allSatisfy { $0.id != nil })
                    for (r, m) in zip(results, meta) { if let id = r.id { ids.append((id, m.0, m.1)) } }
                }

                // Templates to new recipients, through every daemon, on every channel: the
                // portfolio's budget lets exactly `reachBudget` of them out, whoever sends.
                var templates: [String] = []
                for k in 0..<Self.templates {
                    let body = #"{"channel":"\#(Self.channels[k % 3])","to":"+4915200\#(String(format: "%05d", k))","message":{"type":"template","template":{"name":"hello","language":{"code":"en"}}}}"#
                    let (status, raw) = try await clients["d\(k % 3 + 1)"]!.call(.POST, "/v1/messages", body: Array(body.utf8))
                    #expect(status == 202)
                    if let r = try? JSONDecoder().decode(SubmitResponse.self, from: Data(raw)) { templates.append(r.id) }
                }

                // kill -9 of a's owner, a third of the way in.
                _ = try await eventually(timeoutSeconds: 30) { sandbox.state.received().count >= 150 }
                Self.mark(t0, "load submitted; killing \(x)")
                let killedAt = Date()
                daemons[x]!.signal(SIGKILL)
                _ = try await daemons[x]!.wait()
                let movedA = try await eventually(timeoutSeconds: 30) { try await owners(store)["a"].map { $0.daemon != x } ?? false }
                #expect(movedA)
                let takeover = Date().timeIntervalSince(killedAt)
                // ttl 2 s + a poll (400 ms) + the handover second; the bound only catches a takeover
                // that never comes (the shared machine runs the suite in parallel; the figure is printed).
                #expect(takeover < 30, "a was taken over \(takeover) s after the kill")
                #expect(try await owners(store)["a"]!.token == start["a"]!.token + 1)

                Self.mark(t0, "a taken over")
                // SIGSTOP of b's owner for three ttls.
                var frozenToken: Int64 = -1
                var resumedAt = Int64.max
                if freeze {
                    start = try await owners(store)
                    frozenToken = start["b"]!.token
                    daemons[y]!.signal(SIGSTOP)
                    try await Task.sleep(for: .seconds(6))
                    resumedAt = Int64(Date().timeIntervalSince1970 * 1000)
                    daemons[y]!.signal(SIGCONT)
                    let movedB = try await eventually(timeoutSeconds: 5) { try await owners(store)["b"].map { $0.daemon != y } ?? false }
                    #expect(movedB, "b stayed with the frozen daemon; logs:\n\(daemons.map { name, d in "\(name):\n" + d.log.split(separator: "\n").filter { !$0.contains("level=info") }.suffix(30).joined(separator: "\n") }.joined(separator: "\n"))")
                    _ = try await eventually(timeoutSeconds: 5) { daemons[y]!.log.contains("channel lost") }
                    #expect(daemons[y]!.log.contains("channel lost"), "the frozen daemon's log:\n\(daemons[y]!.log)")
                    Self.mark(t0, "b taken over from the frozen daemon")
                }

                // SIGTERM of c's owner (z, which holds every channel the others lost): a graceful handover to y.
                let termAt = Date()
                daemons[z]!.signal(SIGTERM)
                // The handover: z drains its channels and releases them, y takes them (the
                // process then still commits what its queues hold before it exits).
                let handedOver = try await eventually(timeoutSeconds: 30) { try await owners(store).values.allSatisfy { $0.daemon == y } }
                #expect(handedOver)
                let handover = Date().timeIntervalSince(termAt)
                #expect(try await daemons[z]!.wait() == 0, "z's log:\n\(daemons[z]!.log)")
                for c in Self.channels {
                    sandbox.state.setWebhook(SandboxWebhook(url: "http://127.0.0.1:\(ports[Int(y.dropFirst())! - 1])/webhooks/\(c)"), forKey: "key-\(c)")
                }
                print("cluster test: takeover after kill -9 \(takeover) s; channels handed over \(handover) s after SIGTERM, z exited after \(Date().timeIntervalSince(termAt)) s")
                let handovers = "kill -9 at \(Int64(killedAt.timeIntervalSince1970 * 1000)), resumed at \(resumedAt), SIGTERM at \(Int64(termAt.timeIntervalSince1970 * 1000))"

                // Everything ends sent (or later: delivered, read).
                let done = try await eventually(timeoutSeconds: 90) {
                    for m in ids where ![.sent, .delivered, .read].contains(try await store.timeline(id: Int64(m.id)!)?.message.state) { return false }
                    return true
                }
                if !done {
                    var states: [String: Int] = [:]
                    var stuck: [String] = []
                    for m in ids {
                        guard let t = try await store.timeline(id: Int64(m.id)!) else { continue }
                        states["\(m.channel) \(t.message.state.rawValue)", default: 0] += 1
                        if t.message.state == .sending, stuck.count < 3 {
                            stuck.append("\(m.id) awaiting=\(t.message.awaitingSettlement) due=\(t.message.dueMillis) updated=\(t.message.updatedMillis) "
                                         + "attempts=\(t.attempts.map { "\($0.outcome.rawValue)@\($0.atMillis)" }) events=\(t.events.map(\.status))")
                        }
                    }
                    let logs = daemons.map { name, d in
                        "\(name):\n" + d.log.split(separator: "\n").filter { !$0.contains("level=info") || $0.contains("worker") }.suffix(40).joined(separator: "\n")
                    }.joined(separator: "\n")
                    // The whole logs stay for a look after the run.
                    let kept = "/tmp/wao-cluster-failed-\(Int(Date().timeIntervalSince1970))"
                    keepLogs(in: kept)
                    Issue.record("not every message was sent (logs kept in \(kept)): \(states.sorted { $0.key < $1.key }); now \(Int64(Date().timeIntervalSince1970 * 1000)); stuck \(stuck); leases \(try await owners(store)); logs:\n\(logs)")
                }
                Self.mark(t0, "every message sent")
                if let keep = ProcessInfo.processInfo.environment["WAO_KEEP_CLUSTER_LOGS"] { keepLogs(in: keep) }
                // The portfolio's budget, exact across daemons: that many templates reached the
                // API (each once), the others wait for it (held, not failed).
                let templateData = Set(templates.map { store.callbackData(for: Int64($0)!) })
                let reached = sandbox.state.received().filter { templateData.contains($0.callbackData ?? "") }
                #expect(reached.count == Self.reachBudget && Set(reached.map(\.to)).count == Self.reachBudget,
                        "\(reached.count) templates to \(Set(reached.map(\.to)).count) recipients reached the API; the budget is \(Self.reachBudget)")
                var held = 0
                for id in templates where try await store.timeline(id: Int64(id)!)?.message.state == .queued { held += 1 }
                #expect(held == Self.templates - Self.reachBudget, "\(held) templates wait for the budget")

                // The resumed daemon started nothing under the lease it lost.
                if freeze { #expect(try await store.attemptsUnderToken(channel: "b", token: frozenToken, startedAfter: resumedAt) == 0) }

                // No double: each message's callback data reached the sandbox once.
                var copies: [String: Int] = [:]
                for r in sandbox.state.received() { copies[r.callbackData ?? "", default: 0] += 1 }
                var keptFor: String?
                for m in ids {
                    let data = store.callbackData(for: Int64(m.id)!)
                    guard copies[data] != 1 else { continue }
                    if keptFor == nil {
                        // The daemons' whole logs and the sandbox's webhook attempts, for a look after the run.
                        let kept = "/tmp/wao-cluster-double-\(Int(Date().timeIntervalSince1970))"
                        keepLogs(in: kept)
                        let attempts = sandbox.state.webhookDeliveries().map {
                            "\($0.atMillis) \($0.url) \($0.status) \($0.messageID) try \($0.attempt): \($0.httpStatus.map(String.init) ?? "-") \($0.error ?? "")"
                        }
                        FileManager.default.createFile(atPath: kept + "/webhooks.txt", contents: Data(attempts.joined(separator: "\n").utf8))
                        keptFor = kept
                        print("cluster test: a message reached the API twice; logs kept in \(kept)")
                    }
                    let t = try await store.timeline(id: Int64(m.id)!)
                    let arrivals = sandbox.state.received().filter { $0.callbackData == data }.map { "\($0.receivedAtMillis) \($0.wamid)" }
                    let attempts = t?.attempts.map { "\($0.outcome.rawValue)@\($0.atMillis)" } ?? []
                    let events = t?.events.map { "\($0.status)@\($0.atMillis)" } ?? []
                    Issue.record("message \(m.id) (\(m.channel)) reached the API \(copies[data] ?? 0) times: arrivals \(arrivals), attempts \(attempts), events \(events); resumed \(resumedAt)")
                }
                // No sliding second over a channel's limit at the API, and pair pacing held across
                // owners. The one stated exception: a request the frozen daemon had started (its
                // trust checked) but not yet written when it froze goes out as it wakes, whoever
                // holds the channel then; the takeover marked it an unknown outcome, settled by
                // its status. Those late writes are left out of the pacing figures, and counted.
                let stats = sandbox.state.stats()
                var late: Set<String> = []
                for m in ids where m.channel == "b" {
                    guard let t = try await store.timeline(id: Int64(m.id)!) else { continue }
                    if t.attempts.contains(where: { $0.outcome == .unknownOutcome && $0.atMillis < resumedAt }),
                       let r = sandbox.state.received().first(where: { $0.callbackData == store.callbackData(for: Int64(m.id)!) }), r.receivedAtMillis >= resumedAt - 50 {
                        late.insert(store.callbackData(for: Int64(m.id)!))
                    }
                }
                print("cluster test: \(late.count) requests the frozen daemon wrote as it woke (started before the freeze)")
                // The sandbox counts every arrival over its limit, the late writes too (it refused them
                // with a throughput error; the daemon sent them again): at most one such per late write.
                #expect(stats.throughputViolations <= late.count, "\(stats.throughputViolations) arrivals over the limit, \(late.count) late writes")
                let channelOf = Dictionary(uniqueKeysWithValues: ids.map { (store.callbackData(for: Int64($0.id)!), $0.channel) })
                let byKey = Dictionary(grouping: sandbox.state.received().filter { !late.contains($0.callbackData ?? "") }, by: { channelOf[$0.callbackData ?? ""] ?? "?" })
                for (key, rs) in byKey {
                    let times = rs.map(\.receivedAtMillis).sorted()
                    var lo = 0, busiest = 0, window: ArraySlice<Int64> = []
                    for hi in times.indices {
                        while times[hi] - times[lo] >= 1_000 { lo += 1 }
                        if hi - lo + 1 > busiest { (busiest, window) = (hi - lo + 1, times[lo...hi]) }
                    }
                    #expect(busiest <= Self.mps, "key \(key): \(busiest) requests in one sliding second: \(window.map { $0 - (window.first ?? 0) }) ms after \(window.first ?? 0); handovers: \(handovers)")
                    for (to, mine) in Dictionary(grouping: rs, by: \.to) {
                        let ts = mine.map(\.receivedAtMillis).sorted()
                        let gap = zip(ts.dropFirst(), ts).map { $0 - $1 }.min() ?? 600
                        #expect(gap >= 600 - 5, "key \(key), \(to): two requests \(gap) ms apart")
                    }
                }
                if late.isEmpty {
                    for k in stats.keys {
                        #expect(k.busiestArrivalSecond <= Self.mps, "key \(k.key): \(k.busiestArrivalSecond) arrivals in one sliding second")
                        #expect((k.minPairGapMillis ?? 600) >= 600, "key \(k.key): two requests to one recipient \(k.minPairGapMillis ?? 0) ms apart")
                    }
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
