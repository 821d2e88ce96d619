import Foundation
import OutboxAPI
import OutboxClient
import Sandbox
import Testing
import TestSupport

/// The real binary under a few thousand mutated requests on every face it has: submissions,
/// batches, relayed payloads on the socket, webhooks on the TCP listener, odd queries,
/// unknown routes and methods (issue 12, "Tests"). The daemon never dies, every 4xx and 5xx
/// is the JSON error shape, nothing answers 500, and every id it accepted reads back.
@Suite("Hostile input end to end")
struct HostileInputTests {
    let dir = TempDir()

    func writeConfig(sandboxURL: String, port: Int) -> String {
        dir.keyFile("main.key", key: "key-main")
        let toml = """
            [daemon]
            database = "outbox.db"
            socket = "s.sock"
            log_level = "error"
            drain_timeout = "2s"

            [retry]
            base_delay = "10ms"
            max_delay = "50ms"

            [webhook]
            listen = "127.0.0.1:\(port)"
            max_body_bytes = 65536

            [[channels]]
            name = "main"
            base_url = "\(sandboxURL)"
            api_key_file = "main.key"
            messages_per_second = 0
            enforce_window = false
            phone_number_id = "106540352242922"

            [[channels]]
            name = "other"
            base_url = "\(sandboxURL)"
            api_key_file = "main.key"
            messages_per_second = 0
            enforce_window = true
            """
        let path = dir.file("wa-outbox.toml")
        FileManager.default.createFile(atPath: path, contents: Data(toml.utf8))
        return path
    }

    /// True when `body` is `{"error": {"code": "...", "message": "..."}}`.
    static func isErrorShape(_ body: [UInt8]) -> Bool {
        guard let doc = try? JSONDecoder().decode(APIErrorBody.self, from: Data(body)) else { return false }
        return !doc.error.message.isEmpty
    }

    static let paths = ["/v1/messages", "/v1/messages/batch", "/v1/messages/1", "/v1/messages/by-wamid/x", "/v1/channels", "/v1/health",
                        "/v1/imports/x", "/v1/inbound", "/v1/reload", "/v1/nope", "/", "/metrics", "/v1/channels/main/resume", "/v1/messages/99999999999999999999"]
    static let queries = ["?limit=0", "?limit=1001", "?limit=-1", "?limit=99999999999999999999", "?cursor=-9223372036854775808", "?cursor=abc",
                          "?state=queued&channel=main&to=%2B4915112345678", "?to=%00", "?state=%FF", "?import_id=x&limit=1000", "?channel=" + String(repeating: "a", count: 3000)]

    @Test("thousands of mutated requests: the daemon never dies, every error is the JSON shape, every accepted id reads back")
    func hostile() async throws {
        try await withSandbox { _, url in
            let port = RawHTTP.freePort()
            let config = writeConfig(sandboxURL: url, port: port)
            let socket = dir.file("s.sock")
            let process = try DaemonProcess(arguments: ["serve", "--config", config], logPath: dir.file("daemon.log"))
            try await process.waitUntilReady(socketPath: socket)
            let client = DaemonClient(socketPath: socket, timeoutSeconds: 20)
            let http = RawHTTP()
            let corpusRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/corpus")
            func seeds(_ name: String) throws -> [[UInt8]] {
                let folder = corpusRoot.appendingPathComponent(name)
                return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().map { Array(try Data(contentsOf: folder.appendingPathComponent($0))) }
            }
            let submissions = try seeds("submission"), webhooks = try seeds("webhook")

            let started = ContinuousClock.now
            let rounds = 3_000, workers = 6
            let results = try await withThrowingTaskGroup(of: Tally.self) { group in
                for w in 0..<workers {
                    group.addTask {
                        var tally = Tally()
                        var m = Mutator(seed: 0xE2E_0000 + UInt64(w), corpus: submissions + webhooks)
                        for i in stride(from: w, to: rounds, by: workers) {
                            let kind = i % 10
                            var answer: (status: Int, body: [UInt8])?
                            var isSubmission = false, isBatch = false
                            switch kind {
                            case 0, 1, 2:
                                isSubmission = true
                                answer = try? await client.call(.POST, "/v1/messages", body: m.mutate(submissions[i % submissions.count]))
                            case 3, 4:
                                isBatch = true
                                let lines = (0..<Int.random(in: 1...20, using: &m.rng)).map { j in
                                    j % 3 == 0 ? submissions[(i + j) % submissions.count] : m.mutate(submissions[(i + j) % submissions.count])
                                }
                                answer = try? await client.call(.POST, "/v1/messages/batch", body: Array(lines.joined(separator: [0x0A])))
                            case 5:
                                answer = try? await client.call(.POST, "/v1/inbound?channel=main", body: m.mutate(webhooks[i % webhooks.count]))
                            case 6, 7:
                                answer = await http.send(.POST, "http://127.0.0.1:\(port)/webhooks/\(i % 4 == 0 ? "other" : "main")",
                                                         body: m.mutate(webhooks[i % webhooks.count]))
                            case 8:
                                let path = Self.paths[i % Self.paths.count] + (i % 3 == 0 ? Self.queries[i % Self.queries.count] : "")
                                let body = i % 2 == 0 ? m.mutate(Array("{}".utf8)) : nil
                                switch i % 6 {
                                case 0, 1: answer = try? await client.call(.GET, path)
                                case 2: answer = try? await client.call(.DELETE, path)
                                case 3: answer = try? await client.call(.PUT, path, body: body)
                                case 4: answer = try? await client.call(.PATCH, path, body: body)
                                default: answer = try? await client.call(.POST, path, body: body)
                                }
                            default:
                                let path = ["/webhooks/", "/metrics", "/", "/webhooks/main/x", "/v1/messages"][i % 5]
                                answer = await http.send(i % 2 == 0 ? .GET : .DELETE, "http://127.0.0.1:\(port)\(path)", body: nil)
                            }
                            guard let answer else { tally.unanswered += 1; continue }
                            tally.requests += 1
                            if answer.status >= 400 {
                                if !Self.isErrorShape(answer.body), tally.badShapes.count < 5 {
                                    tally.badShapes.append("\(answer.status) kind \(kind): \(String(decoding: answer.body.prefix(200), as: UTF8.self))")
                                }
                                if answer.status >= 500 { tally.serverErrors.append("\(answer.status): \(String(decoding: answer.body.prefix(200), as: UTF8.self))") }
                            } else if isSubmission, let r = try? JSONDecoder().decode(SubmitResponse.self, from: Data(answer.body)) {
                                tally.ids.append(r.id)
                            } else if isBatch, let r = try? JSONDecoder().decode(BatchResponse.self, from: Data(answer.body)) {
                                tally.ids += r.results.compactMap(\.id)
                            }
                        }
                        return tally
                    }
                }
                var all = Tally()
                for try await t in group { all.merge(t) }
                return all
            }
            let elapsed = ContinuousClock.now - started
            let memory = processMemory(pid: process.process.processIdentifier)
            print("hostile e2e: \(results.requests) requests answered (\(results.unanswered) not sendable) in \(elapsed), \(results.ids.count) accepted; daemon RSS peak \(memory.map { "\($0.peakKB / 1024) MiB" } ?? "?")")

            #expect(process.process.isRunning, "the daemon died; log:\n\(process.log)")
            #expect(results.requests > rounds * 9 / 10)
            #expect(results.badShapes.isEmpty, "answers that are not the JSON error shape: \(results.badShapes)")
            #expect(results.serverErrors.isEmpty, "5xx answers: \(results.serverErrors.prefix(5))")
            #expect(!results.ids.isEmpty)
            for id in Set(results.ids) {
                let (status, _) = try await client.call(.GET, "/v1/messages/\(id)")
                #expect(status == 200, "accepted message \(id) does not read back")
            }
            process.signal(SIGTERM)
            #expect(try await process.wait() == 0, "daemon log:\n\(process.log)")
            await client.shutdown()
            await http.shutdown()
        }
    }
}

/// What the workers of the hostile test saw.
struct Tally: Sendable {
    var requests = 0
    var unanswered = 0
    var ids: [String] = []
    var badShapes: [String] = []
    var serverErrors: [String] = []

    mutating func merge(_ o: Tally) {
        requests += o.requests
        unanswered += o.unanswered
        ids += o.ids
        badShapes += o.badShapes
        serverErrors += o.serverErrors
    }
}
