import Foundation
import OutboxAPI
import OutboxClient
import OutboxCore
import OutboxStore
import OutboxStorePostgres
import Sandbox
import Testing
import TestSupport

/// The real executable, killed with SIGKILL in the middle of a run, on SQLite and (when
/// scripts/test started one) on PostgreSQL.
@Suite("Crash safety")
struct CrashTests {
    enum Engine: String, Sendable, CaseIterable {
        case sqlite, postgresql
        static var all: [Engine] { TestPostgres.available ? [.sqlite, .postgresql] : [.sqlite] }
    }

    let dir = TempDir()

    func writeConfig(sandboxURL: String, database: String = "outbox.db") -> String {
        dir.keyFile("main.key", key: "key-main")
        let path = dir.file("wa-outbox.toml")
        let toml = """
            [daemon]
            database = "\(database)"
            socket = "s.sock"
            log_level = "warning"
            drain_timeout = "2s"

            [cluster]
            lease_ttl = "2s"                # PostgreSQL: the restarted daemon (a new id) takes the channel over after this

            [retry]
            base_delay = "10ms"
            max_delay = "50ms"
            unknown_outcome_wait = "300ms"
            unknown_outcome = "resend"

            [sender]
            request_timeout = "2s"

            [[channels]]
            name = "main"
            base_url = "\(sandboxURL)"
            api_key_file = "main.key"
            messages_per_second = 0
            enforce_window = false
            """
        FileManager.default.createFile(atPath: path, contents: Data(toml.utf8))
        return path
    }

    @Test("a kill -9 mid-run loses nothing, and every double send is one the audit marks as interrupted", .serialized, arguments: Engine.all)
    func killNine(engine: Engine) async throws {
        let faults = SandboxFaults(slowRate: 1, slowMillis: 30)
        try await withSandbox(faults: faults) { sandbox, url in
            let schema = TestPostgres.freshSchema()
            let database = engine == .sqlite ? "outbox.db" : try #require(TestPostgres.url) + "&options=-c%20search_path%3D" + schema
            let config = writeConfig(sandboxURL: url, database: database)
            let socket = dir.file("s.sock")
            let first = try DaemonProcess(arguments: ["serve", "--config", config], logPath: dir.file("daemon.log"))
            try await first.waitUntilReady(socketPath: socket)
            let client = DaemonClient(socketPath: socket)
            // The client is shut down on every path (a failing step must not leave it to deinit).
            var ids: [String] = []
            do {
                let lines = (0..<400).map { #"{"channel":"main","to":"+49151003\#(10000 + $0)","message":{"type":"text","text":{"body":"k"}}}"# }
                let (_, body) = try await client.call(.POST, "/v1/messages/batch", body: Array(lines.joined(separator: "\n").utf8))
                ids = try JSONDecoder().decode(BatchResponse.self, from: Data(body)).results.compactMap(\.id)
                #expect(ids.count == 400)

                // When the daemon dies mid-run
                _ = try await eventually { sandbox.state.received().count >= 60 }
                first.signal(SIGKILL)
                #expect(try await first.wait() == SIGKILL)

                // Then a restart finishes the job
                let second = try DaemonProcess(arguments: ["serve", "--config", config], logPath: dir.file("daemon.log"))
                try await second.waitUntilReady(socketPath: socket)
                let done = try await eventually(timeoutSeconds: 30) {
                    let page = try await client.call(.GET, "/v1/messages?state=sent&limit=1000", as: ListPage.self)
                    return page.value.messages.count == 400
                }
                #expect(done, "not every message was sent after the restart")
                second.signal(SIGTERM)
                #expect(try await second.wait() == 0, "daemon log:\n\(second.log)")
            } catch {
                await client.shutdown()
                throw error
            }
            await client.shutdown()

            // ... and any message the sandbox got twice has an interrupted attempt in its audit.
            let store: any OutboxStore = engine == .sqlite ? try SQLiteOutboxStore(path: dir.file("outbox.db"))
                : try await PostgresOutboxStore.open(try PostgresURL(parsing: database))
            var copies: [String: Int] = [:]
            for r in sandbox.state.received() { copies[r.callbackData ?? "", default: 0] += 1 }
            var doubles = 0
            for id in ids {
                let t = try #require(try await store.timeline(id: Int64(id)!))
                #expect(t.message.state == .sent)
                let n = copies[store.callbackData(for: t.message.id)] ?? 0
                #expect(n >= 1)
                if n > 1 {
                    doubles += 1
                    #expect(t.attempts.contains { $0.outcome == .unknownOutcome })
                }
            }
            print("kill -9 test (\(engine.rawValue)): \(doubles) double sends, all marked interrupted")
        }
    }
}
