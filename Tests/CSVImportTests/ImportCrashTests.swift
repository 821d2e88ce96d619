import Foundation
import OutboxAPI
import OutboxClient
import OutboxCore
import Testing
import TestSupport
@testable import CSVImport

/// An import whose client or daemon is killed with SIGKILL mid-way, then run again: every row
/// is queued exactly once. The real executable (daemon and `wa-outbox import`), its socket,
/// and the engine's real database, on SQLite and (when scripts/test started one) PostgreSQL.
@Suite("CSV import after kill -9", .serialized)
struct ImportCrashTests {
    enum Engine: String, Sendable, CaseIterable {
        case sqlite, postgresql
        static var all: [Engine] { TestPostgres.available ? [.sqlite, .postgresql] : [.sqlite] }
    }

    let dir = TempDir()
    /// Enough rows, in batches of `batch`, that the kill lands well before the end.
    static let rows = 20_000
    static let batch = 20

    /// A channel that sends nothing soon (1 mps to an address that refuses): the import alone is measured.
    func writeConfig(database: String) -> String {
        dir.keyFile("main.key", key: "key-main")
        let path = dir.file("wa-outbox.toml")
        let toml = """
            [daemon]
            database = "\(database)"
            socket = "s.sock"
            log_level = "warning"
            drain_timeout = "2s"

            [[channels]]
            name = "main"
            base_url = "http://127.0.0.1:9"
            api_key_file = "main.key"
            messages_per_second = 1
            enforce_window = false
            """
        FileManager.default.createFile(atPath: path, contents: Data(toml.utf8))
        return path
    }

    /// A file of `rows` distinct text rows; `tag` makes it another file (another import).
    func campaign(_ tag: String) -> String {
        var text = "to,text\n"
        for i in 0..<Self.rows { text += "+491520\(1_000_000 + i),\(tag) \(i)\n" }
        return dir.csv("\(tag).csv", text)
    }

    func stored(_ client: DaemonClient, _ importID: String) async throws -> Int {
        let (status, body) = try await client.call(.GET, "/v1/imports/\(importID)")
        guard status == 200 else { return 0 }
        return try JSONDecoder().decode(ImportStatesDocument.self, from: Data(body)).total
    }

    func run(_ path: String, _ client: DaemonClient, batchSize: Int = 1000) async throws -> ImportSummary {
        try await Importer(options: ImportOptions(path: path, channel: "main", batchSize: batchSize), sink: client).run(observer: RecordingObserver())
    }

    @Test("the client killed mid-import, then run again: each row once", arguments: Engine.all)
    func clientKilled(engine: Engine) async throws {
        let database = engine == .sqlite ? "outbox.db" : try #require(TestPostgres.url) + "&options=-c%20search_path%3D" + TestPostgres.freshSchema()
        let config = writeConfig(database: database)
        let socket = dir.file("s.sock")
        let daemon = try DaemonProcess(arguments: ["serve", "--config", config], logPath: dir.file("daemon.log"))
        try await daemon.waitUntilReady(socketPath: socket)
        let client = DaemonClient(socketPath: socket)
        defer { daemon.signal(SIGKILL) }
        do {
            let path = campaign("client")
            let id = try ImportKeys.importID(path: path, channel: "main", template: nil, language: nil)
            // Given an import whose client dies once some batches are stored
            let importer = try DaemonProcess(arguments: ["import", path, "--channel", "main", "--socket", socket, "--batch-size", String(Self.batch)],
                                             logPath: dir.file("import.log"))
            _ = try await eventually(timeoutSeconds: 60) { try await self.stored(client, id) >= 300 }
            importer.signal(SIGKILL)
            _ = try await importer.wait()
            let before = try await stored(client, id)
            #expect(before >= 300)
            // When it runs again
            let s = try await run(path, client)
            // Then every row is there once
            #expect(s.end == .finished)
            #expect(s.rows == Self.rows && s.rejected == 0)
            #expect(s.accepted + s.duplicates == Self.rows)
            #expect(s.duplicates >= before, "rows stored before the kill are recognised")
            #expect(try await stored(client, id) == Self.rows)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    @Test("the daemon killed mid-import, restarted, the import run again: each row once", arguments: Engine.all)
    func daemonKilled(engine: Engine) async throws {
        let database = engine == .sqlite ? "outbox.db" : try #require(TestPostgres.url) + "&options=-c%20search_path%3D" + TestPostgres.freshSchema()
        let config = writeConfig(database: database)
        let socket = dir.file("s.sock")
        let first = try DaemonProcess(arguments: ["serve", "--config", config], logPath: dir.file("daemon.log"))
        try await first.waitUntilReady(socketPath: socket)
        let client = DaemonClient(socketPath: socket)
        do {
            let path = campaign("daemon")
            let id = try ImportKeys.importID(path: path, channel: "main", template: nil, language: nil)
            // Given an import whose daemon dies once some batches are stored
            let running = Task { try? await run(path, client, batchSize: Self.batch) }
            _ = try await eventually(timeoutSeconds: 60) { try await self.stored(client, id) >= 300 }
            first.signal(SIGKILL)
            #expect(try await first.wait() == SIGKILL)
            let cut = await running.value
            #expect(cut?.end != .finished, "the import saw its daemon die")
            await client.shutdown()
            // When the daemon is back and the import runs again, as a new `wa-outbox import`
            // would, with a client of its own (the old one's connection pool backs off after
            // the connects refused while no daemon listened, and fails the next call with them)
            let second = try DaemonProcess(arguments: ["serve", "--config", config], logPath: dir.file("daemon.log"))
            defer { second.signal(SIGKILL) }
            try await second.waitUntilReady(socketPath: socket)
            let again = DaemonClient(socketPath: socket)
            do {
                let before = try await stored(again, id)
                #expect(before >= 300)
                let s = try await run(path, again)
                // Then every row is there once: what was committed before the kill counts as duplicates
                #expect(s.end == .finished)
                #expect(s.accepted + s.duplicates == Self.rows && s.rejected == 0)
                #expect(s.duplicates == before, "a row is acknowledged only once it is committed, and found again after the restart")
                #expect(try await stored(again, id) == Self.rows)
            } catch {
                await again.shutdown()
                throw error
            }
            await again.shutdown()
        } catch {
            await client.shutdown()
            throw error
        }
    }
}

extension ImportCrashTests {
    /// Messages of the outbox, by the socket's listing (every page).
    func listedMessages(_ client: DaemonClient) async throws -> Int {
        var total = 0
        var cursor: String?
        repeat {
            let (status, body) = try await client.call(.GET, "/v1/messages?limit=1000" + (cursor.map { "&cursor=\($0)" } ?? ""))
            guard status == 200, let page = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
                  let messages = page["messages"] as? [Any] else { throw HarnessError("listing answered \(status)") }
            total += messages.count
            cursor = page["next_cursor"] as? String
        } while cursor != nil
        return total
    }

    @Test("rows still staged when the daemon is killed become messages after its restart, each once")
    func stagedRowsSurviveKill() async throws {
        let config = writeConfig(database: "outbox.db")
        let base = try String(contentsOfFile: config, encoding: .utf8)
        try (base + "\n[submission]\nimport_lookahead = 100\n").write(toFile: config, atomically: true, encoding: .utf8)
        let socket = dir.file("s.sock")
        let first = try DaemonProcess(arguments: ["serve", "--config", config], logPath: dir.file("daemon.log"))
        try await first.waitUntilReady(socketPath: socket)
        let client = DaemonClient(socketPath: socket)
        do {
            let path = campaign("staged")
            let id = try ImportKeys.importID(path: path, channel: "main", template: nil, language: nil)
            // Given a whole import accepted while the daemon keeps only 100 messages ahead of the channel
            let s = try await run(path, client)
            #expect(s.end == .finished && s.accepted == Self.rows)
            #expect(try await stored(client, id) == Self.rows, "staged rows count as the import's queued rows")
            let early = try await listedMessages(client)
            let states = try await client.call(.GET, "/v1/imports/\(id)").1
            #expect(early >= 100 && early < Self.rows / 2, "most rows wait staged, not as messages (\(early) messages; \(String(decoding: states, as: UTF8.self)))")
            first.signal(SIGKILL)
            #expect(try await first.wait() == SIGKILL)
            // When the daemon comes back with room for every row
            try (base + "\n[submission]\nimport_lookahead = 1000000\n").write(toFile: config, atomically: true, encoding: .utf8)
            let second = try DaemonProcess(arguments: ["serve", "--config", config], logPath: dir.file("daemon.log"))
            defer { second.signal(SIGKILL) }
            try await second.waitUntilReady(socketPath: socket)
            // Then every row becomes a message once, and running the import again stores nothing
            // (a client of its own: see `daemonKilled`)
            await client.shutdown()
            let fresh = DaemonClient(socketPath: socket)
            do {
                _ = try await eventually(timeoutSeconds: 60) { try await self.listedMessages(fresh) == Self.rows }
                #expect(try await stored(fresh, id) == Self.rows)
                let again = try await run(path, fresh)
                #expect(again.accepted == 0 && again.duplicates == Self.rows)
                #expect(try await listedMessages(fresh) == Self.rows)
            } catch {
                await fresh.shutdown()
                throw error
            }
            await fresh.shutdown()
        } catch {
            await client.shutdown()
            throw error
        }
    }
}
