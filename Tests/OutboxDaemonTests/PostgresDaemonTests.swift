import Foundation
import OutboxAPI
import OutboxCore
import OutboxDaemon
import OutboxStore
import OutboxStorePostgres
import Sandbox
import Testing
import TestSupport

/// The daemon on PostgreSQL (`[daemon] database = "postgresql://..."`), end to end: real
/// socket, real PostgreSQL (the private server scripts/test starts), real HTTP to the sandbox.
@Suite("Daemon on PostgreSQL", .enabled(if: TestPostgres.available, Comment(rawValue: TestPostgres.skipReason)))
struct PostgresDaemonTests {
    let dir = TempDir()
    /// A schema of its own for this test's database.
    let schema = TestPostgres.freshSchema()

    func config(_ url: String) throws -> DaemonConfig {
        var c = testConfig(dir: dir, baseURL: url)
        c.databasePath = try #require(TestPostgres.url) + "&options=-c%20search_path%3D" + schema
        c.webhook.listen = "127.0.0.1:0"
        return c
    }

    @Test("a message is sent, and its status webhooks, duplicated and reordered, end it in read, each once")
    func sendAndSettle() async throws {
        try await withSandbox(faults: SandboxFaults(webhookDuplicateRate: 1, webhookReorder: true)) { sandbox, url in
            try await withDaemon(try config(url), dir: dir) { d in
                guard case .postgres = d.daemon.config.database else { Issue.record("not on PostgreSQL"); return }
                _ = try await eventually { d.daemon.webhookListeningPort != nil }
                sandbox.state.setWebhook(SandboxWebhook(url: "http://127.0.0.1:\(d.daemon.webhookListeningPort!)/webhooks/main"), forKey: "key-main")
                let id = try await d.sendText("Hello", to: "+4915112345678")
                let m: MessageDocument
                do { m = try await d.waitFor(id, in: [.read]) } catch {
                    // What the receiver answered, for a run that fails far from here.
                    let deliveries = sandbox.state.webhookDeliveries().map {
                        "\($0.status) copy \($0.duplicate ? 2 : 1) try \($0.attempt) at \($0.atMillis): \($0.httpStatus.map(String.init) ?? "-") \($0.error ?? "")"
                    }
                    let inbox = try? await d.daemon.store.inboxCounts()
                    Issue.record("webhook deliveries: \(deliveries); inbox pending \(inbox.map { String($0.pending) } ?? "?"); now \(Date().timeIntervalSince1970)")
                    throw error
                }
                #expect(m.wamid?.hasPrefix("wamid.") == true)
                #expect(m.attempts?.map(\.outcome) == [.accepted])
                #expect(sandbox.state.received().first?.callbackData == d.daemon.store.callbackData(for: Int64(id)!))
                // Three statuses, each delivered twice, then all applied.
                _ = try await eventually { sandbox.state.webhookDeliveries().filter(\.delivered).count >= 6 }
                _ = try await eventually { try await d.daemon.store.inboxCounts().pending == 0 }
                #expect(try await d.message(id).events?.map(\.status).sorted() == ["delivered", "read", "sent"])
                // The event log tells the same story: accepted, sent, then each receipt once (in the order they came).
                let types = try await d.daemon.store.events(after: 0, limit: 100).events.filter { $0.messageID == Int64(id)! }.map(\.type)
                #expect(Array(types.prefix(2)) == ["accepted", "sent"] && types.dropFirst(2).sorted() == ["delivered", "read"])
            }
        }
    }

    @Test("two daemons share the outbox: each channel sent by one, every message once, and a graceful stop hands its channels over")
    func twoDaemonsShare() async throws {
        try await withSandbox { sandbox, url in
            var a = testConfig(dir: dir, baseURL: url, channels: ["c1", "c2", "c3", "c4"].map { TestChannel($0, key: "key-" + $0, messagesPerSecond: 50) })
            a.databasePath = try #require(TestPostgres.url) + "&options=-c%20search_path%3D" + schema
            a.cluster.leaseTTLMillis = 1_500
            a.cluster.name = "a"
            var b = a
            b.socketPath = dir.file("b.sock")
            b.cluster.name = "b"
            try await withDaemon(a, dir: dir) { da in
                let store = try #require(da.daemon.store as? PostgresOutboxStore)
                var ids: [String] = []
                try await withDaemon(b, dir: dir) { db in
                    // Both are up: the four channels spread two and two (the assignment is even).
                    let spread = try await eventually(timeoutSeconds: 60) {
                        let owners = try await store.leases().compactMap(\.owner)
                        return owners.count == 4 && Set(owners).count == 2 && Dictionary(grouping: owners, by: { $0 }).values.allSatisfy { $0.count == 2 }
                    }
                    #expect(spread)
                    for i in 0..<40 {
                        let via = i.isMultiple(of: 2) ? da : db
                        ids.append(try await via.sendText("m\(i)", to: "+49151000000\(i % 10)", channel: "c\(1 + i % 4)"))
                    }
                    for id in ids { _ = try await da.waitFor(id, in: [.sent], timeoutSeconds: 60) }
                }
                // b stopped gracefully: a holds all four channels within about two seconds.
                let stopped = Date()
                let handedOver = try await eventually(timeoutSeconds: 30) { try await store.leases().allSatisfy { $0.owner?.hasPrefix("a:") == true } }
                #expect(handedOver)
                print("two daemons: the stopped daemon's channels moved in \(Date().timeIntervalSince(stopped)) s")
                for i in 40..<60 {
                    ids.append(try await da.sendText("m\(i)", to: "+49151000000\(i % 10)", channel: "c\(1 + i % 4)"))
                }
                for id in ids.suffix(20) { _ = try await da.waitFor(id, in: [.sent], timeoutSeconds: 60) }
                // Each message reached the API exactly once, and no graceful handover left an unknown outcome.
                let seen = sandbox.state.received().map(\.callbackData)
                let copies = Dictionary(grouping: seen, by: { $0 ?? "-" }).filter { $0.value.count > 1 }.keys.sorted()
                #expect(seen.count == 60 && Set(seen).count == 60, "the sandbox saw \(seen.count) requests, \(Set(seen).count) distinct; twice: \(copies)")
                for id in ids {
                    #expect(try await da.message(id).attempts?.map(\.outcome) == [.accepted])
                }
            }
        }
    }
}
