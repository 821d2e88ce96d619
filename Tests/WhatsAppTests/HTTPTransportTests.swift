import OutboxCore
import Synchronization
import Testing
import TestSupport
import WhatsApp

/// The transport tells the pacing when a request is written, and tells a request that never
/// left (no connection) from one whose outcome is unknown.
@Suite("HTTP transport")
struct HTTPTransportTests {
    let body = #"{"messaging_product":"whatsapp","recipient_type":"individual","to":"+4915112345678","text":{"body":"hi"},"type":"text"}"#

    @Test("connection refused: not reached, and never reported written")
    func refused() async throws {
        // Port 1 (tcpmux): nothing listens there, and no test can bind it without root.
        let port = 1
        let transport = HTTPTransport()
        let written = Mutex(false)
        let result = await transport.send(OutboundRequest(
            url: "http://127.0.0.1:\(port)/messages", apiKey: "k", body: body, timeoutMillis: 5_000, api: .cloud,
            onWritten: { written.withLock { $0 = true } }))
        await transport.shutdown()
        guard case .notReached(let detail) = result else { Issue.record("expected not reached, got \(result)"); return }
        #expect(!detail.isEmpty)
        #expect(result.outcome == .retryableError)
        #expect(AttemptHistory().adding(result) == AttemptHistory())
        #expect(!written.withLock { $0 })
    }

    @Test("an answered request was reported written before its answer came")
    func writtenBeforeAnswer() async throws {
        try await withSandbox { _, url in
            let clock = SystemClock()
            let transport = HTTPTransport()
            let writtenAt = Mutex<Int64?>(nil)
            let result = await transport.send(OutboundRequest(
                // 30 s: under the full suite's load the in-process sandbox once took over 5 s to answer.
                url: "\(url)/messages", apiKey: "key-1", body: body, timeoutMillis: 30_000, api: .cloud,
                onWritten: { writtenAt.withLock { $0 = clock.now() } }))
            let answered = clock.now()
            await transport.shutdown()
            guard case .accepted = result else { Issue.record("expected accepted, got \(result)"); return }
            let at = try #require(writtenAt.withLock { $0 })
            #expect(at <= answered)
        }
    }
}
