import Foundation
import OutboxAPI
import OutboxCore
import OutboxDaemon
import OutboxStore
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
                let m = try await d.waitFor(id, in: [.read])
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

    @Test("a second daemon on the same database is refused until channel leases exist")
    func secondDaemonRefused() async throws {
        try await withSandbox { _, url in
            let c = try config(url)
            try await withDaemon(c, dir: dir) { _ in
                var other = c
                other.socketPath = dir.file("other.sock")
                do {
                    _ = try await Daemon.build(config: other, logger: .init(label: "second"))
                    Issue.record("a second daemon started on the same database")
                } catch {
                    #expect("\(error)".contains("another wa-outbox daemon is using this database"))
                }
            }
        }
    }
}
