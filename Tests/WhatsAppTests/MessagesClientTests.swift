import Foundation
import NIOSSL
import OutboxCore
import Synchronization
import Testing
import TestSupport
import WhatsApp

/// The lean `/messages` client behind `HTTPTransport`: keep-alive connections reused, a
/// `Connection: close` honoured, TLS with the certificate checked, the deadline kept, and the
/// same classification as the AsyncHTTPClient path (not reached, unknown, answered).
@Suite("Lean /messages client")
struct MessagesClientTests {
    let body = #"{"messaging_product":"whatsapp","recipient_type":"individual","to":"+4915112345678","text":{"body":"hi"},"type":"text"}"#
    let accepted = #"{"messaging_product":"whatsapp","contacts":[{"input":"+4915112345678","wa_id":"4915112345678"}],"messages":[{"id":"wamid.LEAN1"}]}"#

    /// How many times a request was reported written.
    final class Count: Sendable {
        private let n = Mutex(0)
        var value: Int { n.withLock { $0 } }
        func add() { n.withLock { $0 += 1 } }
    }

    func request(_ url: String, timeoutMillis: Int64 = 30_000, written: Count? = nil) -> OutboundRequest {
        var onWritten: (@Sendable () -> Void)?
        if let written { onWritten = { written.add() } }
        return OutboundRequest(url: url + "/messages", apiKey: "key-1", body: body, timeoutMillis: timeoutMillis, api: .cloud, onWritten: onWritten)
    }

    @Test("many concurrent sends to the sandbox are all accepted, each with its own wamid")
    func concurrentToSandbox() async throws {
        try await withSandbox { _, url in
            let transport = HTTPTransport()
            // Three rounds of 64 at once: the second and third run on the first's connections.
            var results: [SendResult] = []
            for _ in 0..<3 {
                results += await withTaskGroup(of: SendResult.self) { group in
                    for _ in 0..<64 { group.addTask { await transport.send(request(url, timeoutMillis: 60_000)) } }
                    return await group.reduce(into: [SendResult]()) { $0.append($1) }
                }
            }
            await transport.shutdown()
            let wamids = results.compactMap { if case .accepted(let id, _, _) = $0 { id } else { nil } }
            #expect(wamids.count == 192, "first other: \(String(describing: results.first { if case .accepted = $0 { false } else { true } }))")
            #expect(Set(wamids).count == wamids.count)
        }
    }

    @Test("sequential sends reuse one keep-alive connection, and each is reported written once")
    func keepAlive() async throws {
        let server = try await CannedNIOServer(body: accepted)
        let transport = HTTPTransport()
        let written = Count()
        for _ in 0..<50 {
            let result = await transport.send(request(server.url, written: written))
            #expect(result == .accepted(wamid: "wamid.LEAN1", messageStatus: nil, waID: "4915112345678"), "got \(result)")
        }
        await transport.shutdown()
        await server.shutdown()
        #expect(server.connections == 1)
        #expect(written.value == 50)
    }

    @Test("an answer with Connection: close is kept, and the next send opens a new connection")
    func connectionClose() async throws {
        let server = try await CannedNIOServer(body: accepted, close: true)
        let transport = HTTPTransport()
        for _ in 0..<5 {
            let result = await transport.send(request(server.url))
            #expect(result == .accepted(wamid: "wamid.LEAN1", messageStatus: nil, waID: "4915112345678"), "got \(result)")
        }
        await transport.shutdown()
        await server.shutdown()
        #expect(server.connections == 5)
    }

    @Test("an error answer is classified as on the AsyncHTTPClient path")
    func errorAnswer() async throws {
        let error = #"{"error":{"message":"(#131026) Message undeliverable","type":"OAuthException","code":131026,"fbtrace_id":"T1"}}"#
        let server = try await CannedNIOServer(status: 400, body: error)
        let lean = HTTPTransport()
        let plain = HTTPTransport(lean: false)
        let viaLean = await lean.send(request(server.url))
        let viaAHC = await plain.send(request(server.url))
        await lean.shutdown()
        await plain.shutdown()
        await server.shutdown()
        #expect(viaLean == viaAHC)
        guard case .failed(let failure, _, _) = viaLean else { Issue.record("expected a failure, got \(viaLean)"); return }
        #expect(failure.code == 131026)
        #expect(failure.traceID == "T1")
    }

    @Test("https: a trusted certificate is accepted; an untrusted one never sends (not reached, never written)")
    func tls() async throws {
        let server = try await CannedNIOServer(body: accepted, tls: true)
        var trusting = TLSConfiguration.makeClientConfiguration()
        trusting.trustRoots = .certificates([CannedNIOServer.certificate])
        let trusted = HTTPTransport(tlsConfiguration: trusting)
        let untrusted = HTTPTransport()
        let written = Count()
        for _ in 0..<2 {
            let result = await trusted.send(request(server.tlsURL, written: written))
            #expect(result == .accepted(wamid: "wamid.LEAN1", messageStatus: nil, waID: "4915112345678"), "got \(result)")
        }
        #expect(written.value == 2)
        let refused = await untrusted.send(request(server.tlsURL, written: written))
        await trusted.shutdown()
        await untrusted.shutdown()
        await server.shutdown()
        guard case .notReached(let detail) = refused else { Issue.record("expected not reached, got \(refused)"); return }
        #expect(detail.contains("TLS"))
        #expect(written.value == 2)
        #expect(server.answered == 2)
    }

    @Test("no answer before the deadline: unknown outcome, after the request was reported written")
    func deadline() async throws {
        // Bound and listening, never accepting: the kernel takes the connection and the bytes.
        let silent = try RawListener()
        let transport = HTTPTransport()
        let written = Count()
        let start = ContinuousClock.now
        let result = await transport.send(request("http://127.0.0.1:\(silent.port)", timeoutMillis: 300, written: written))
        let took = ContinuousClock.now - start
        await transport.shutdown()
        withExtendedLifetime(silent) {}
        #expect(result == .unknown(detail: "no answer before the request timeout"))
        #expect(written.value == 1)
        // The lower bound is the point; the upper one only catches a deadline never kept (a loaded machine fires timers late).
        #expect(took >= .milliseconds(250) && took < .seconds(30))
    }

    @Test("a cancelled send ends at once, its outcome unknown")
    func cancelled() async throws {
        let silent = try RawListener()
        let transport = HTTPTransport()
        let written = Count()
        let request = request("http://127.0.0.1:\(silent.port)", timeoutMillis: 60_000, written: written)
        let task = Task { await transport.send(request) }
        #expect(try await eventually(timeoutSeconds: 30) { written.value == 1 })
        let start = ContinuousClock.now
        task.cancel()
        let result = await task.value
        #expect(ContinuousClock.now - start < .seconds(30))
        await transport.shutdown()
        withExtendedLifetime(silent) {}
        #expect(result == .unknown(detail: "cancelled while in flight"))
    }

    @Test("a refused connection is not reached, with the system's reason")
    func refused() async throws {
        let transport = HTTPTransport()
        let written = Count()
        let result = await transport.send(request("http://127.0.0.1:1", written: written))
        await transport.shutdown()
        guard case .notReached(let detail) = result else { Issue.record("expected not reached, got \(result)"); return }
        #expect(detail.hasPrefix("connection failed: "))
        #expect(written.value == 0)
    }
}
