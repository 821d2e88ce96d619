import Foundation
import OutboxAPI
import OutboxClient
import OutboxCore
import OutboxDaemon
import Sandbox
import Testing
import TestSupport

/// Subscribers end to end, with the real executable: a real HTTP subscriber that checks every
/// signature, is down for a while (503, then refusing connections) and comes back, with the
/// daemon killed -9 once in the middle. Every event arrives, in cursor order, none lost.
@Suite("Subscribers end to end")
struct SubscriberEndToEndTests {
    let dir = TempDir()

    func writeConfig(sandboxURL: String, subscriberPort: Int) -> String {
        dir.keyFile("main.key", key: "key-main")
        dir.keyFile("hook.secret", key: "whsec_c2VjcmV0LWZvci10ZXN0cw==")
        let path = dir.file("wa-outbox.toml")
        let toml = """
            [daemon]
            database = "outbox.db"
            socket = "s.sock"
            log_level = "critical"
            drain_timeout = "2s"

            [retry]
            base_delay = "10ms"
            max_delay = "50ms"

            [[channels]]
            name = "main"
            base_url = "\(sandboxURL)"
            api_key_file = "main.key"
            messages_per_second = 0
            enforce_window = false

            [[subscribers]]
            name = "one"
            url = "http://127.0.0.1:\(subscriberPort)/one"
            secret_file = "hook.secret"
            give_up_after = "1s"
            max_retry_delay = "200ms"
            timeout = "2s"

            [[subscribers]]
            name = "batched"
            url = "http://127.0.0.1:\(subscriberPort)/batched"
            secret_file = "hook.secret"
            types = ["accepted", "sent"]
            batch_size = 50
            give_up_after = "1s"
            max_retry_delay = "200ms"
            """
        FileManager.default.createFile(atPath: path, contents: Data(toml.utf8))
        return path
    }

    func submit(_ client: DaemonClient, _ n: Int, from: Int) async throws {
        let lines = (0..<n).map { #"{"channel":"main","to":"+49151004\#(10000 + from + $0)","message":{"type":"text","text":{"body":"e"}}}"# }
        let r = try await client.call(.POST, "/v1/messages/batch", body: Array(lines.joined(separator: "\n").utf8), as: BatchResponse.self)
        #expect(r.value.accepted == n)
    }

    /// Every event id in the log matching `keep`, oldest first.
    func logged(_ client: DaemonClient, keep: (String) -> Bool = { _ in true }) async throws -> [Int64] {
        var out: [Int64] = []
        var after = "0"
        while true {
            let (_, body) = try await client.call(.GET, "/v1/events?after=\(after)&limit=1000")
            let page = try JSONParser.parse(body)
            let events = page["events"]?.arrayValue ?? []
            for e in events where keep(e["type"]?.stringValue ?? "") { out.append(Int64(e["cursor"]?.stringValue ?? "") ?? -1) }
            after = page["next_cursor"]?.stringValue ?? after
            if events.count < 1000 { return out }
        }
    }

    /// The cursors as first received: strictly increasing when delivery kept cursor order
    /// (re-deliveries after a crash or a lost answer repeat a suffix, never skip ahead).
    static func firstSeen(_ cursors: [Int64]) -> (ids: [Int64], inOrder: Bool) {
        var seen = Set<Int64>()
        var ids: [Int64] = []
        var inOrder = true
        for c in cursors where seen.insert(c).inserted {
            if let last = ids.last, c < last { inOrder = false }
            ids.append(c)
        }
        return (ids, inOrder)
    }

    @Test("every event reaches each subscriber in order, signed, through an outage and a kill -9")
    func outageAndKill() async throws {
        let receiver = SubscriberReceiver(key: SigningKey(text: "whsec_c2VjcmV0LWZvci10ZXN0cw==")!)
        var server = await receiver.start()
        try await withSandbox { _, url in
            let config = writeConfig(sandboxURL: url, subscriberPort: server.port)
            let socket = dir.file("s.sock")
            let first = try DaemonProcess(arguments: ["serve", "--config", config], logPath: dir.file("daemon.log"))
            try await first.waitUntilReady(socketPath: socket)
            let client = DaemonClient(socketPath: socket)
            do {
                try await scenario(client: client, first: first, config: config, socket: socket, receiver: receiver, server: &server)
            } catch {
                first.signal(SIGKILL)
                await client.shutdown()
                await server.stop()
                throw error
            }
            await client.shutdown()
            await server.stop()
        }
    }

    func scenario(client: DaemonClient, first: DaemonProcess, config: String, socket: String, receiver: SubscriberReceiver,
                  server: inout (port: Int, stop: @Sendable () async -> Void)) async throws {
        do {
            // Given events flowing to a subscriber that answers
            try await submit(client, 100, from: 0)
            #expect(try await eventually(timeoutSeconds: 60) { receiver.snapshot.cursors["/one"]?.count ?? 0 >= 150 })

            // When it answers 503 for longer than its give-up age, then stops listening
            receiver.setDown(true)
            try await submit(client, 100, from: 100)
            let failing = try await eventually(timeoutSeconds: 60) {
                let doc = try await client.call(.GET, "/v1/subscribers", as: SubscribersDocument.self).value
                return doc.subscribers.first { $0.name == "one" }?.failing == true
            }
            #expect(failing, "the subscriber was not marked failing")
            try await Task.sleep(for: .milliseconds(1_500))  // its failing state is saved right after
            await server.stop()

            // ... and the daemon is killed -9 meanwhile and started again
            first.signal(SIGKILL)
            #expect(try await first.wait() == SIGKILL)
            let second = try DaemonProcess(arguments: ["serve", "--config", config], logPath: dir.file("daemon.log"))
            try await second.waitUntilReady(socketPath: socket)
            try await submit(client, 100, from: 200)
            try await Task.sleep(for: .milliseconds(500))

            // Then once it is back, everything arrives: each event, in order, every signature valid
            receiver.setDown(false)
            server = await receiver.start()
            let all = try await eventually(timeoutSeconds: 90) {
                let want = try await logged(client)
                let got = Self.firstSeen(receiver.snapshot.cursors["/one"] ?? []).ids
                let lags = try await client.call(.GET, "/v1/subscribers", as: SubscribersDocument.self).value.subscribers.map(\.lag)
                return Set(got).isSuperset(of: want) && lags.allSatisfy { $0 == 0 }
            }
            #expect(all, "not every event arrived")
            let want = try await logged(client)
            let one = Self.firstSeen(receiver.snapshot.cursors["/one"] ?? [])
            #expect(one.inOrder)
            #expect(one.ids.filter(want.contains) == want)
            let batched = Self.firstSeen(receiver.snapshot.cursors["/batched"] ?? [])
            let wantBatched = try await logged(client) { $0 == "accepted" || $0 == "sent" }
            #expect(batched.inOrder)
            #expect(batched.ids == wantBatched, "batched got \(batched.ids.count) of \(wantBatched.count)")
            #expect(receiver.snapshot.badSignatures == 0)
            let failingEvents = try await logged(client) { $0 == "subscriber_failing" }
            let recovered = try await logged(client) { $0 == "subscriber_recovered" }
            #expect(!failingEvents.isEmpty && !recovered.isEmpty)
            let doc = try await client.call(.GET, "/v1/subscribers", as: SubscribersDocument.self).value
            #expect(doc.subscribers.allSatisfy { !$0.failing })
            second.signal(SIGTERM)
            #expect(try await second.wait() == 0, "daemon log:\n\(second.log)")
        }
    }
}
