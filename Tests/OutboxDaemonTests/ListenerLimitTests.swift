import AsyncHTTPClient
import Foundation
import NIOCore
import OutboxCore
import OutboxDaemon
import Sandbox
import Testing
import TestSupport

/// Both listeners under clients that misbehave: nothing sent, a body trickled in byte by
/// byte, connections held open doing nothing, more connections than the cap. The receiver
/// keeps answering, and a stop ends in bounded time whatever the clients do.
@Suite("Listener limits")
struct ListenerLimitTests {
    let dir = TempDir()

    func config(_ url: String, limits: ListenerLimits) -> DaemonConfig {
        var c = testConfig(dir: dir, baseURL: url)
        c.webhook.listen = "127.0.0.1:0"
        c.webhook.limits = limits
        return c
    }

    func port(_ d: DaemonHarness) async throws -> Int {
        _ = try await eventually { d.daemon.webhookListeningPort != nil }
        return d.daemon.webhookListeningPort!
    }

    static let trickleHead = "POST /webhooks/main HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"

    @Test("a connection that sends nothing, or headers that never end, is closed after the idle timeout")
    func idle() async throws {
        try await withSandbox { _, url in
            try await withDaemon(config(url, limits: ListenerLimits(maxConnections: 100, idleTimeoutMillis: 300, readTimeoutMillis: 10_000)), dir: dir) { d in
                let port = try await port(d)
                let silent = try RawConnection(port: port)
                let slowHeaders = try RawConnection(port: port)
                slowHeaders.send("POST /webhooks/main HTTP/1.1\r\nHost: x\r\n")
                let a = await silent.secondsUntilClosed(timeoutSeconds: 5)
                let b = await slowHeaders.secondsUntilClosed(timeoutSeconds: 5)
                #expect(a != nil && a! < 2)
                #expect(b != nil)
            }
        }
    }

    @Test("a kept-alive connection is closed after the idle timeout once its answer was written")
    func keptAlive() async throws {
        try await withSandbox { _, url in
            try await withDaemon(config(url, limits: ListenerLimits(maxConnections: 100, idleTimeoutMillis: 300, readTimeoutMillis: 10_000)), dir: dir) { d in
                let c = try RawConnection(port: try await port(d))
                let body = cloudStatus(wamid: "wamid.none", status: "read")
                c.send("POST /webhooks/main HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
                let (answer, closed) = await c.read(timeoutSeconds: 15)
                #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
                #expect(closed, "the connection stayed open past the idle timeout")
            }
        }
    }

    @Test("a body trickled in byte by byte is cut off at the read timeout")
    func trickle() async throws {
        try await withSandbox { _, url in
            try await withDaemon(config(url, limits: ListenerLimits(maxConnections: 100, idleTimeoutMillis: 60_000, readTimeoutMillis: 500)), dir: dir) { d in
                let c = try RawConnection(port: try await port(d))
                c.send(Self.trickleHead)
                let start = Date()
                var open = true
                while open, Date().timeIntervalSince(start) < 5 {
                    open = c.send("x")
                    if open { open = !(await c.read(timeoutSeconds: 0.1).closed) }
                }
                #expect(!open, "the trickling connection was still open after 5 s")
                #expect(Date().timeIntervalSince(start) < 3)
                #expect(try await d.daemon.store.inboxCounts().pending == 0)
            }
        }
    }

    @Test("past the connection cap a new connection waits until one closes; the receiver then answers it")
    func cap() async throws {
        try await withSandbox { _, url in
            try await withDaemon(config(url, limits: ListenerLimits(maxConnections: 4, idleTimeoutMillis: 60_000, readTimeoutMillis: 10_000)), dir: dir) { d in
                let port = try await port(d)
                var held = try (0..<4).map { _ in try RawConnection(port: port) }
                // Let the server accept those four before the fifth comes.
                try await Task.sleep(for: .milliseconds(200))
                let body = cloudStatus(wamid: "wamid.none", status: "read")
                let extra = try RawConnection(port: port)
                extra.send("POST /webhooks/main HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
                #expect(await extra.read(timeoutSeconds: 0.5).bytes.isEmpty, "answered past the cap")
                held.removeFirst()
                let (answer, _) = await extra.read(timeoutSeconds: 15)
                #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
                _ = held
            }
        }
    }

    @Test("with 200 idle connections open the receiver keeps answering every webhook")
    func answersWhileIdleConnectionsAreOpen() async throws {
        try await withSandbox { _, url in
            try await withDaemon(config(url, limits: ListenerLimits(maxConnections: 4096, idleTimeoutMillis: 60_000, readTimeoutMillis: 10_000)), dir: dir) { d in
                let port = try await port(d)
                let idle = try (0..<200).map { _ in try RawConnection(port: port) }
                let client = HTTPClient(eventLoopGroupProvider: .singleton)
                var times: [Double] = []
                do {
                    for i in 0..<21 {
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/webhooks/main")
                        request.method = .POST
                        request.body = .bytes(ByteBuffer(string: cloudStatus(wamid: "wamid.x\(i)", status: "read")))
                        let start = Date()
                        let response = try await client.execute(request, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 1 << 16)
                        if i > 0 { times.append(Date().timeIntervalSince(start)) }
                        #expect(response.status.code == 200)
                    }
                } catch {
                    // A client dropped without shutdown traps, and takes the whole suite's results with it.
                    try? await client.shutdown()
                    throw error
                }
                try await client.shutdown()
                // Held hostage, these would time out. 80 ms (360dialog's budget) is measured by
                // `scripts/bench --only hostile` on the release build with 1,000 idle connections:
                // this debug build shares two cores with the other suites (and other builds), where
                // a median of 220 ms was seen with no idle connection to blame.
                times.sort()
                #expect(times[times.count / 2] < 1, "answers: \(times.map { Int($0 * 1000) }) ms")
                _ = idle
            }
        }
    }
}
