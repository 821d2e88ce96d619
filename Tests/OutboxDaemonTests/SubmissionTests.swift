import Foundation
import OutboxAPI
import OutboxClient
import OutboxCore
import OutboxDaemon
import Testing
import TestSupport

/// Submission over the real Unix socket into the real SQLite file. The sandbox is not
/// reachable here (port 9 on loopback): nothing is sent, so what was stored stays queued.
@Suite("Submission over the socket")
struct SubmissionTests {
    let dir = TempDir()
    var config: DaemonConfig {
        var c = testConfig(dir: dir, baseURL: "http://127.0.0.1:9", channels: [TestChannel("main"), TestChannel("other", key: "k2")])
        c.sender.connectTimeoutMillis = 100
        c.retry.baseDelayMillis = 60_000
        c.retry.maxDelayMillis = 60_000
        c.submission.maxRequestBytes = 8_192
        return c
    }

    func error(_ body: [UInt8]) throws -> APIErrorBody {
        try JSONDecoder().decode(APIErrorBody.self, from: Data(body))
    }

    @Test("a valid message is accepted with 202 and its id once committed")
    func accepted() async throws {
        try await withDaemon(config, dir: dir) { d in
            let (status, body) = try await d.post("/v1/messages", json: #"{"channel":"main","to":"+49 151 1234 5678","message":{"type":"text","text":{"body":"Hi"}}}"#)
            #expect(status == 202)
            let r = try JSONDecoder().decode(SubmitResponse.self, from: Data(body))
            #expect(r.state == .queued)
            let m = try await d.message(r.id)
            #expect(m.to == "+4915112345678")
            #expect(m.channel == "main")
            #expect(m.message == .object(["type": .string("text"), "text": .object(["body": .string("Hi")])]))
        }
    }

    @Test("bad requests get a 4xx naming the field, and store nothing", arguments: [
        (#"{"channel":"main","to":"12","message":{"type":"text","text":{"body":"x"}}}"#, 400, "invalid_field", "to"),
        (#"{"channel":"nope","to":"+4915112345678","message":{"type":"text","text":{"body":"x"}}}"#, 400, "unknown_channel", "channel"),
        (#"{"channel":"main","to":"+4915112345678","message":{"type":"text","text":{}}}"#, 400, "invalid_field", "message.text.body"),
        (#"{"channel":"main","to":"+4915112345678","message":{"type":"telex"}}"#, 400, "invalid_field", "message.type"),
        (#"{"channel":"main","to":"+4915112345678"}"#, 400, "invalid_field", "message"),
        (#"{"channel":"main","to":"+4915112345678","message":{"type":"text","text":{"body":"x"}},"priority":"urgent"}"#, 400, "invalid_field", "priority"),
        (#"{"channel":"main","to":"+4915112345678","message":{"type":"text","text":{"body":"x"}},"expires_at":"2001-01-01T00:00:00Z"}"#, 422, "expired", "expires_at"),
        (#"{"channel":"main","to":"+4915112345678","message":{"type":"text","text":{"body":"x"}},"not_before":"tomorrow"}"#, 400, "invalid_field", "not_before"),
        (#"{"channel":"main", "to": "+49"#, 400, "invalid_json", nil),
        (#"[1,2]"#, 400, "invalid_json", nil),
    ] as [(String, Int, String, String?)])
    func badRequests(body: String, status: Int, code: String, field: String?) async throws {
        try await withDaemon(config, dir: dir) { d in
            let (got, bytes) = try await d.post("/v1/messages", json: body)
            #expect(got == status)
            let e = try error(bytes)
            #expect(e.error.code.rawValue == code)
            #expect(e.error.field == field)
            let page = try JSONDecoder().decode(ListPage.self, from: Data(try await d.get("/v1/messages").body))
            #expect(page.messages.isEmpty)
        }
    }

    @Test("invalid UTF-8 and oversized bodies are refused")
    func rawBodies() async throws {
        try await withDaemon(config, dir: dir) { d in
            let invalid = Array(#"{"channel":"main","to":"+4915112345678","message":{"type":"text","text":{"body":""#.utf8) + [0xFF, 0xFE] + Array(#""}}}"#.utf8)
            let (s1, b1) = try await d.client.call(.POST, "/v1/messages", body: invalid)
            #expect(s1 == 400)
            #expect(try error(b1).error.message.contains("UTF-8"))
            let big = #"{"channel":"main","to":"+4915112345678","message":{"type":"text","text":{"body":"\#(String(repeating: "x", count: 10_000))"}}}"#
            let (s2, b2) = try await d.post("/v1/messages", json: big)
            #expect(s2 == 413)
            #expect(try error(b2).error.code == .bodyTooLarge)
        }
    }

    @Test("an idempotency key stores once; different content conflicts")
    func idempotency() async throws {
        try await withDaemon(config, dir: dir) { d in
            let body = #"{"channel":"main","to":"+4915112345678","idempotency_key":"order-1","message":{"type":"text","text":{"body":"Hi"}}}"#
            let (s1, b1) = try await d.post("/v1/messages", json: body)
            let (s2, b2) = try await d.post("/v1/messages", json: body)
            #expect(s1 == 202)
            #expect(s2 == 200)
            let first = try JSONDecoder().decode(SubmitResponse.self, from: Data(b1))
            let second = try JSONDecoder().decode(SubmitResponse.self, from: Data(b2))
            #expect(first.id == second.id)
            #expect(second.duplicate == true)
            let (s3, b3) = try await d.post("/v1/messages", json: body.replacingOccurrences(of: "Hi", with: "Bye"))
            #expect(s3 == 409)
            #expect(try error(b3).error.code == .conflict)
        }
    }

    @Test("a batch stores its valid lines and reports each bad line by number")
    func batch() async throws {
        try await withDaemon(config, dir: dir) { d in
            let lines = [
                #"{"channel":"main","to":"+4915112345678","message":{"type":"text","text":{"body":"1"}}}"#,
                "",
                #"{"channel":"main","to":"bad","message":{"type":"text","text":{"body":"2"}}}"#,
                #"{"channel":"main","to":"+4915112345679","idempotency_key":"a","message":{"type":"text","text":{"body":"3"}}}"#,
                #"not json"#,
                #"{"channel":"main","to":"+4915112345679","idempotency_key":"a","message":{"type":"text","text":{"body":"3"}}}"#,
            ]
            let (status, body) = try await d.post("/v1/messages/batch", json: lines.joined(separator: "\n"))
            #expect(status == 200)
            let r = try JSONDecoder().decode(BatchResponse.self, from: Data(body))
            #expect(r.accepted == 3)
            #expect(r.rejected == 2)
            #expect(r.results.map(\.line) == [1, 3, 4, 5, 6])
            #expect(r.results[1].error?.field == "to")
            #expect(r.results[3].error?.code == .invalidJSON)
            #expect(r.results[4].duplicate == true)
            #expect(r.results[4].id == r.results[2].id)
            let (emptyStatus, _) = try await d.post("/v1/messages/batch", json: "\n\n")
            #expect(emptyStatus == 400)
        }
    }

    @Test("a batch against stored keys: the same content is a duplicate, other content a conflict, line by line")
    func batchAgainstStoredKeys() async throws {
        try await withDaemon(config, dir: dir) { d in
            func line(_ key: String, _ text: String) -> String {
                #"{"channel":"main","to":"+4915112345678","idempotency_key":"\#(key)","message":{"type":"text","text":{"body":"\#(text)"}}}"#
            }
            let (_, b1) = try await d.post("/v1/messages/batch", json: [line("k1", "one"), line("k2", "two")].joined(separator: "\n"))
            let first = try JSONDecoder().decode(BatchResponse.self, from: Data(b1))
            let (status, b2) = try await d.post("/v1/messages/batch", json: [line("k2", "two"), line("k1", "changed"), line("k3", "three")].joined(separator: "\n"))
            #expect(status == 200)
            let r = try JSONDecoder().decode(BatchResponse.self, from: Data(b2))
            #expect((r.accepted, r.rejected) == (2, 1))
            #expect(r.results[0].duplicate == true)
            #expect(r.results[0].id == first.results[1].id)
            #expect(r.results[1].error?.code == .conflict)
            #expect(r.results[1].error?.field == "idempotency_key")
            #expect(r.results[2].duplicate == false)
            #expect(try JSONDecoder().decode(ListPage.self, from: Data(try await d.get("/v1/messages").body)).messages.count == 3)
        }
    }

    @Test("the batch answer is written as JSONEncoder writes it, keys sorted")
    func batchAnswerBytes() throws {
        let response = BatchResponse(accepted: 2, rejected: 1, results: [
            .init(line: 1, id: "17", duplicate: false),
            .init(line: 3, error: APIErrorBody(.invalidField, "can't be \"x\" or a\\b/c\né", field: "message.text.body").error),
            .init(line: 4, id: "9", duplicate: true),
        ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(String(decoding: response.jsonBytes, as: UTF8.self) == String(decoding: try encoder.encode(response), as: UTF8.self))
        #expect(try JSONDecoder().decode(BatchResponse.self, from: Data(response.jsonBytes)) == response)
    }

    @Test("the one-message answer is written as JSONEncoder writes it, keys sorted", arguments: [
        SubmitResponse(id: "42", state: .queued), SubmitResponse(id: "7", state: .sent, duplicate: true), SubmitResponse(id: "8", state: .queued, duplicate: false),
    ])
    func submitAnswerBytes(response: SubmitResponse) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(String(decoding: response.jsonBytes, as: UTF8.self) == String(decoding: try encoder.encode(response), as: UTF8.self))
        #expect(try JSONDecoder().decode(SubmitResponse.self, from: Data(response.jsonBytes)) == response)
    }

    @Test("cancel works on a queued message only; unknown ids are 404")
    func cancel() async throws {
        var c = config
        c.channels[0].messagesPerSecond = 1
        try await withDaemon(c, dir: dir) { d in
            let id = try await d.sendText("later", to: "+4915112345678", extra: #","not_before":"\#(daysAhead(200).text)""#)
            let (status, _) = try await d.client.call(.DELETE, "/v1/messages/\(id)")
            #expect(status == 200)
            #expect(try await d.message(id).state == .cancelled)
            let (again, _) = try await d.client.call(.DELETE, "/v1/messages/\(id)")
            #expect(again == 409)
            let (missing, _) = try await d.client.call(.DELETE, "/v1/messages/424242")
            #expect(missing == 404)
        }
    }

    @Test("the socket is mode 0660, and a stale socket file does not block a restart")
    func socketFile() async throws {
        // Given a socket file left behind by a daemon that crashed
        try await withDaemon(config, dir: dir) { _ in }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in config.socketPath.utf8.enumerated() { raw[i] = b } }
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        close(fd)
        #expect(FileManager.default.fileExists(atPath: config.socketPath))
        // When the daemon starts again, it listens
        try await withDaemon(config, dir: dir) { d in
            let attrs = try FileManager.default.attributesOfItem(atPath: d.config.socketPath)
            #expect((attrs[.posixPermissions] as? Int).map { $0 & 0o777 } == 0o660)
            let (status, _) = try await d.get("/v1/health")
            #expect(status == 200)
        }
    }

    @Test("a path that is not a socket is refused with a clear error, not overwritten")
    func notASocket() async throws {
        FileManager.default.createFile(atPath: config.socketPath, contents: Data("precious".utf8))
        await #expect(throws: DaemonError.self) { _ = try await Daemon.build(config: config, logger: .init(label: "t")) }
        #expect(FileManager.default.contents(atPath: config.socketPath) == Data("precious".utf8))
    }

    @Test("a second daemon on the same database is refused")
    func singleDaemon() async throws {
        try await withDaemon(config, dir: dir) { d in
            await #expect(throws: DaemonError.self) {
                _ = try await Daemon.build(config: d.config, logger: .init(label: "second"))
            }
        }
    }
}
