import Foundation
import OutboxAPI
import OutboxClient
import OutboxCore
import OutboxDaemon
import OutboxStore
import Testing
import TestSupport

/// The edges of the socket and the webhook listener (issue 12 points 1, 5, 8; red-team 1, 2,
/// 14, 15, 16, 21): far-future times, huge timestamps, unknown routes, per-line caps,
/// duplicate keys, the database's mode and the lock by file identity.
@Suite("Edges: bounds at the door")
struct EdgeTests {
    let dir = TempDir()
    var config: DaemonConfig {
        var c = testConfig(dir: dir, baseURL: "http://127.0.0.1:9", channels: [TestChannel("main")])
        c.sender.connectTimeoutMillis = 100
        c.retry.baseDelayMillis = 60_000
        c.retry.maxDelayMillis = 60_000
        c.submission.maxRequestBytes = 4_096
        c.channels[0].phoneNumberID = "106540352242922"
        c.webhook.listen = "127.0.0.1:0"
        return c
    }

    func error(_ body: [UInt8]) throws -> APIErrorBody.Detail {
        try JSONDecoder().decode(APIErrorBody.self, from: Data(body)).error
    }

    static func text(_ extra: String) -> String {
        #"{"channel":"main","to":"+4915112345678","message":{"type":"text","text":{"body":"x"}}\#(extra)}"#
    }

    @Test("not_before or expires_at beyond the horizon is 400 invalid_field naming it, alone and in a batch; the worker keeps running")
    func horizon() async throws {
        try await withDaemon(config, dir: dir) { d in
            for (field, time) in [("not_before", "2300-01-01T00:00:00Z"), ("expires_at", "9999-12-31T23:59:59Z"), ("not_before", "9999-12-31T23:59:59.999+00:00")] {
                let (status, body) = try await d.post("/v1/messages", json: Self.text(#","\#(field)":"\#(time)""#))
                #expect(status == 400)
                let e = try error(body)
                #expect(e.code == .invalidField && e.field == field && e.message.contains("366 days"))
            }
            let batch = [Self.text(#","not_before":"2300-01-01T00:00:00Z""#), Self.text("")].joined(separator: "\n")
            let (status, body) = try await d.post("/v1/messages/batch", json: batch)
            #expect(status == 200)
            let r = try JSONDecoder().decode(BatchResponse.self, from: Data(body))
            #expect(r.accepted == 1 && r.results[0].error?.field == "not_before")
            // Half a year ahead is a fine schedule; the idle worker waits for it without trapping.
            let later = RFC3339.format(millis: Int64(Date().timeIntervalSince1970 * 1000) + 180 * 86_400_000)
            #expect(try await d.post("/v1/messages", json: Self.text(#","not_before":"\#(later)""#)).status == 202)
            try await Task.sleep(nanoseconds: 200_000_000)
            #expect(try await d.get("/v1/health").status == 200)
        }
    }

    @Test("an inbound timestamp near Int64.max/1000 is taken as now with a note; a reply to that number does not trap")
    func hugeInboundTimestamp() async throws {
        var c = config
        c.channels[0].enforceWindow = true
        try await withDaemon(c, dir: dir) { d in
            let before = Int64(Date().timeIntervalSince1970 * 1000)
            let payload = cloudInbound(from: "4915112345678").replacingOccurrences(of: "\"timestamp\":\"1795257590\"", with: "\"timestamp\":\"9223372036854775\"")
            #expect(try await d.post("/v1/inbound", json: payload).status == 200)
            let store = d.daemon.store
            #expect(try await eventually { try await store.inboxCounts().pending == 0 })
            let last = try #require(try await store.lastInbound(channel: "main", recipient: "+4915112345678"))
            #expect(last >= before && last <= Int64(Date().timeIntervalSince1970 * 1000))
            #expect(try await store.inboxCounts().failed == 1, "the payload keeps a note of the clamped timestamp")
            // The window is open (the customer did write), and the arithmetic holds.
            #expect(try await d.post("/v1/messages", json: Self.text("")).status == 202)
            #expect(try await d.get("/v1/health").status == 200)
        }
    }

    @Test("unknown routes and methods answer the JSON error shape, on the socket and on the webhook listener")
    func routes() async throws {
        try await withDaemon(config, dir: dir) { d in
            for (method, path, code) in [("GET", "/nope", 404), ("GET", "/v1/messages/1/x", 404), ("PUT", "/v1/messages", 405),
                                         ("DELETE", "/v1/channels", 405), ("GET", "/v1/messages/batch", 405), ("PATCH", "/v1/messages/7", 405)] {
                let (status, body) = try await d.client.call(.init(rawValue: method), path, body: nil)
                #expect(status == code, "\(method) \(path)")
                let e = try error(body)
                #expect(e.code == (code == 404 ? .notFound : .methodNotAllowed))
            }
            _ = try await eventually { d.daemon.webhookListeningPort != nil }
            let base = "http://127.0.0.1:\(d.daemon.webhookListeningPort!)"
            let http = RawHTTP()
            for (method, path, code) in [("GET", "/nope", 404), ("GET", "/webhooks/main", 405), ("DELETE", "/metrics", 405), ("POST", "/webhooks", 404)] {
                let answer = try #require(await http.send(.init(rawValue: method), base + path, body: nil))
                #expect(answer.status == code, "\(method) \(path)")
                #expect(try error(answer.body).code == (code == 404 ? .notFound : .methodNotAllowed))
            }
            await http.shutdown()
        }
    }

    @Test("one batch line over max_request_bytes is refused for that line alone")
    func lineCap() async throws {
        try await withDaemon(config, dir: dir) { d in
            let big = #"{"channel":"main","to":"+4915112345678","message":{"type":"text","text":{"body":"\#(String(repeating: "y", count: 4_100))"}}}"#
            let (status, body) = try await d.post("/v1/messages/batch", json: [Self.text(""), big].joined(separator: "\n"))
            #expect(status == 200)
            let r = try JSONDecoder().decode(BatchResponse.self, from: Data(body))
            #expect(r.accepted == 1 && r.results[1].error?.code == .bodyTooLarge)
        }
    }

    @Test("duplicate keys and out-of-range numbers are refused, naming what is wrong")
    func jsonQuirks() async throws {
        try await withDaemon(config, dir: dir) { d in
            let (s1, b1) = try await d.post("/v1/messages", json: #"{"channel":"main","channel":"other","to":"+4915112345678","message":{"type":"text","text":{"body":"x"}}}"#)
            #expect(s1 == 400)
            #expect(try error(b1).message.contains("duplicate object key 'channel'"))
            let (s2, b2) = try await d.post("/v1/messages", json: Self.text(#","priority":1e400"#))
            #expect(s2 == 400)
            #expect(try error(b2).message.contains("out of range"))
            let (s3, b3) = try await d.post("/v1/messages", json: #"{"channel":"main","to":"+4915112345678","message":{"type":"location","location":{"latitude":"nan","longitude":1}}}"#)
            #expect(s3 == 400)
            #expect(try error(b3).field == "message.location.latitude")
        }
    }

    @Test("the database, WAL and SHM are the daemon user's alone (0600)")
    func databaseMode() async throws {
        try await withDaemon(config, dir: dir) { d in
            _ = try await d.sendText("x", to: "+4915112345678")
            for suffix in ["", "-wal", "-shm"] {
                let mode = try FileManager.default.attributesOfItem(atPath: dir.file("outbox.db") + suffix)[.posixPermissions] as? Int
                #expect(mode == 0o600, "outbox.db\(suffix) is \(String(mode ?? 0, radix: 8))")
            }
        }
    }

    @Test("a second daemon on the same database by another path is refused (the lock is the file's identity)")
    func lockByIdentity() async throws {
        try FileManager.default.createDirectory(atPath: dir.file("var"), withIntermediateDirectories: true)
        symlink(dir.file("var"), dir.file("alias"))
        var first = config
        first.databasePath = dir.file("var/outbox.db")
        try await withDaemon(first, dir: dir) { _ in
            for other in [dir.file("var/../var/outbox.db"), dir.file("alias/outbox.db")] {
                var second = config
                second.databasePath = other
                second.socketPath = dir.file("t.sock")
                second.webhook.listen = nil
                await #expect {
                    _ = try await Daemon.build(config: second, logger: .init(label: "second"))
                } throws: { error in
                    "\(error)".contains("another wa-outbox daemon is using this database")
                }
            }
        }
    }
}
