import NIOCore
import NIOEmbedded
import NIOHTTP1
import OutboxCore
import Synchronization
import Testing
import TestSupport
@testable import WhatsApp

/// The lean client's answer path, fuzzed: whatever bytes a server sends back (split into
/// reads of any size, then the connection closed), the exchange ends exactly once, its body
/// stays within the bound, and its classification never traps. It runs the real pipeline
/// (NIO's request encoder and response decoder, then `MessageExchangeHandler`) on an
/// `EmbeddedChannel`, so it stays in the suite and out of `scripts/fuzz`'s NIO-free build.
@Suite("Fuzz: the lean client's answer path")
struct AnswerFuzzTests {
    static let seeds: [String] = [
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 58\r\n\r\n{\"messages\":[{\"id\":\"wamid.A\"}],\"contacts\":[{\"wa_id\":\"1\"}]}",
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 66\r\n\r\n{\"error\":{\"message\":\"(#131026) x\",\"code\":131026,\"fbtrace_id\":\"T\"}}",
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nContent-Length: 2\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"mes\r\n1a\r\nsages\":[{\"id\":\"wamid.C\"}]}\r\n0\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nConnection: close\r\nContent-Length: 31\r\n\r\n{\"messages\":[{\"id\":\"wamid.D\"}]}",
        "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n{\"messages\":[{\"id\":\"wamid.CUT\"",
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n",
        "HTTP/1.0 200 OK\r\n\r\n{\"messages\":[{\"id\":\"wamid.E\"}]}",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\n\r\n",
        "garbage\r\n\r\n",
    ]

    /// One server answer through the pipeline: nil when every promise held, else what broke.
    static func run(_ answer: [UInt8], chunk: Int, maxBody: Int = 256) -> String? {
        let channel = EmbeddedChannel()
        let handler = MessageExchangeHandler(maxBodyBytes: maxBody)
        let outcomes = Mutex<[ExchangeOutcome]>([])
        do {
            try channel.pipeline.syncOperations.addHTTPClientHandlers()
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        } catch { return "cannot set up the pipeline: \(error)" }
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/messages", headers: ["Host": "x", "Content-Length": "2"])
        let written = Mutex(0)
        handler.start(PreparedRequest(head: head, body: channel.allocator.buffer(string: "{}"), deadline: .now() + .seconds(30),
                                      onWritten: { written.withLock { $0 += 1 } })) { outcome in outcomes.withLock { $0.append(outcome) } }
        var offset = 0
        while offset < answer.count, channel.isActive {
            let end = min(answer.count, offset + max(1, chunk))
            _ = try? channel.writeInbound(channel.allocator.buffer(bytes: answer[offset..<end]))
            offset = end
        }
        _ = try? channel.close().wait()
        _ = try? channel.finish()
        let ended = outcomes.withLock { $0 }
        guard ended.count == 1, let outcome = ended.first else { return "the exchange ended \(ended.count) times" }
        guard written.withLock({ $0 }) == 1 else { return "the request was reported written \(written.withLock { $0 }) times" }
        switch outcome {
        case .answered(let status, _, let body, _):
            if !(100...999).contains(status) { return "answered with status \(status)" }
            if body.count > maxBody { return "a body of \(body.count) bytes passed the bound of \(maxBody)" }
        case .failed(_, let written, let partial):
            if !written { return "a written request ended as not written" }
            if let partial, partial.body.count > maxBody { return "a partial body of \(partial.body.count) bytes passed the bound" }
        }
        // The classification the transport applies must take any outcome.
        _ = HTTPTransport.classify(outcome, connectFailure: nil, api: .cloud, nowMillis: 1_795_219_200_000)
        return nil
    }

    @Test("seeds and seeded mutations, in reads of any size, end each exchange exactly once within its bounds")
    func answers() {
        let seeds = Self.seeds.map { Array($0.utf8) }
        for (i, seed) in seeds.enumerated() {
            for chunk in [1, 7, 64, 4096] {
                if let broken = Self.run(seed, chunk: chunk) { Issue.record("seed \(i), reads of \(chunk): \(broken)") }
            }
        }
        var mutator = Mutator(seed: 0xA115_E4, corpus: seeds)
        var failures = 0
        for i in 0..<3_000 {
            let input = mutator.mutate(seeds[i % seeds.count], maxSteps: 6, maxBytes: 4 << 10)
            let chunk = 1 + Int(mutator.rng.next() % 97)
            if let broken = Self.run(input, chunk: chunk), failures < 5 {
                failures += 1
                Issue.record("mutation \(i), reads of \(chunk): \(broken); input: \(String(decoding: input.prefix(300), as: UTF8.self).debugDescription)")
            }
        }
    }

    @Test("a whole answer through the pipeline reads as the transport reads it")
    func wholeAnswer() {
        let channel = EmbeddedChannel()
        let handler = MessageExchangeHandler()
        let outcome = Mutex<ExchangeOutcome?>(nil)
        try! channel.pipeline.syncOperations.addHTTPClientHandlers()
        try! channel.pipeline.syncOperations.addHandler(handler)
        try! channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/messages", headers: ["Host": "x", "Content-Length": "2"])
        handler.start(PreparedRequest(head: head, body: channel.allocator.buffer(string: "{}"), deadline: .now() + .seconds(30), onWritten: nil)) { o in
            outcome.withLock { $0 = o }
        }
        // The request went out as one head and body.
        var sent = ""
        while let part = try! channel.readOutbound(as: ByteBuffer.self) { sent += String(buffer: part) }
        #expect(sent.hasPrefix("POST /messages HTTP/1.1\r\n"))
        #expect(sent.hasSuffix("\r\n\r\n{}"))
        _ = try? channel.writeInbound(channel.allocator.buffer(bytes: Array(Self.seeds[0].utf8)))
        guard case .answered(let status, _, let body, let reusable)? = outcome.withLock({ $0 }) else {
            Issue.record("no answer")
            return
        }
        #expect(status == 200)
        #expect(reusable)
        #expect(HTTPTransport.classify(.answered(status: status, retryAfter: nil, body: body, reusable: true), connectFailure: nil, api: .cloud, nowMillis: 0)
            == .accepted(wamid: "wamid.A", messageStatus: nil, waID: "1"))
        _ = try? channel.finish()
    }
}
