import Foundation
import GRDB
import NIOHTTP1

extension Bench {
    /// The daemon under clients that mean harm (issue 12 §2, §3): 1,000 idle connections held
    /// on the webhook receiver while it answers; a flood of 4 MiB payloads (memory peak, the
    /// writer's longest hold seen by a submission meanwhile); and a stop with the 1,000 idle
    /// connections and a body trickling in. The daemon is restarted first, so its memory
    /// high-water mark (VmHWM) is this phase's.
    func hostile(idle: Int = 1_000, floodPayloads: Int = 120, floodSenders: Int = 16) async throws -> [ResultRow] {
        await stopDaemon()
        try await startDaemon()
        guard let pid = daemon?.processIdentifier else { throw BenchError("no daemon") }
        let rssStart = (Self.statusKiB(pid: pid, field: "VmHWM") ?? 0) / 1024
        var held: [RawSocket] = []
        for _ in 0..<idle { held.append(try RawSocket(port: webhookPort)) }
        try await Task.sleep(nanoseconds: 300_000_000)
        let url = "http://127.0.0.1:\(webhookPort)/webhooks/bulk0"
        let small = Array(Self.statusPayload(statuses: 1, index: 0).utf8)
        var latencies: [Double] = []
        for _ in 0..<200 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let (status, _) = try await request(.POST, url, body: small, headers: [("Content-Type", "application/json")])
            guard status == 200 else { throw BenchError("webhook answered \(status) with \(idle) idle connections open") }
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        latencies.sort()

        // The flood: payloads just under the 4 MiB cap, each about 40,000 statuses, as fast as 16 senders can.
        let big = Array(Self.statusPayload(maxBytes: 4 << 20, index: 1).utf8)
        let next = Counter()
        let refused = Counter()
        let submitLatencies = SubmitProbe()
        let prober = Task { try await submitLatencies.run(self) }
        let start = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<floodSenders {
                group.addTask {
                    while next.take(below: floodPayloads) != nil {
                        let (status, _) = try await self.request(.POST, url, body: big, headers: [("Content-Type", "application/json")])
                        if status == 503 { _ = refused.take(below: .max) } else if status != 200 { throw BenchError("flood payload answered \(status)") }
                    }
                }
            }
            try await group.waitForAll()
        }
        let floodSeconds = Date().timeIntervalSince(start)
        let db = try database()
        try await waitFor(timeout: 600) {
            try await db.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox WHERE processed_at IS NULL") ?? 1 } == 0
        }
        let drainSeconds = Date().timeIntervalSince(start)
        prober.cancel()
        let submits = (try? await prober.value) ?? submitLatencies.sorted()
        let peak = (Self.statusKiB(pid: pid, field: "VmHWM") ?? 0) / 1024
        let refusedCount = refused.take(below: .max) ?? 0

        // The stop, with the idle connections still open and one body trickling in.
        let trickler = try RawSocket(port: webhookPort)
        trickler.send("POST /webhooks/bulk0 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
        let trickling = Thread { while trickler.send("x") { usleep(200_000) } }
        trickling.start()
        let stopStart = Date()
        await stopDaemon()
        let stopSeconds = Date().timeIntervalSince(stopStart)
        held.removeAll()
        try await startDaemon()
        return [
            ResultRow(figure: "webhook answers with \(idle) idle connections open", value: "p50 \(fmt(percentile(latencies, 50), 2)) ms, p99 \(fmt(percentile(latencies, 99), 2)) ms, max \(fmt(latencies.last ?? .nan, 2)) ms over \(latencies.count)",
                      target: "< 80 ms", ceiling: "-", pass: (latencies.last ?? .infinity) < 80),
            ResultRow(figure: "flood of \(floodPayloads) 4 MiB payloads (\(floodSenders) senders, about \(big.count / 104) statuses each)",
                      value: "daemon RSS peak \(fmt(peak, 1)) MiB (\(fmt(rssStart, 1)) at start); \(floodPayloads - refusedCount) stored, \(refusedCount) answered 503 (busy); flood \(fmt(floodSeconds, 1)) s, all processed after \(fmt(drainSeconds, 1)) s",
                      target: "RSS bounded (<= 400 MiB)", ceiling: "-", pass: peak <= 400),
            ResultRow(figure: "a submission during the flood (writer held)", value: "p50 \(fmt(percentile(submits, 50), 1)) ms, p99 \(fmt(percentile(submits, 99), 1)) ms, max \(fmt(submits.last ?? .nan, 1)) ms over \(submits.count)",
                      target: "max ~100 ms plus a commit", ceiling: "-", pass: nil),
            ResultRow(figure: "stop with \(idle) idle connections and a trickling body", value: "\(fmt(stopSeconds, 2)) s from SIGTERM to exit",
                      target: "<= drain_timeout + 2 x listener_drain_timeout (16 s)", ceiling: "-", pass: stopSeconds <= 16),
        ]
    }

    /// A Cloud status payload of read statuses for wamids no message has: `statuses` of them,
    /// or as many as fit in `maxBytes`.
    static func statusPayload(statuses: Int = .max, maxBytes: Int = .max, index: Int) -> String {
        let head = #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1555","phone_number_id":"1"},"statuses":["#
        let tail = "]}}]}]}"
        var text = head
        var n = 0
        while n < statuses {
            let one = #"{"id":"wamid.flood\#(index)-\#(n)","status":"read","timestamp":"1795257590","recipient_id":"4915100000000"}"#
            if text.utf8.count + one.utf8.count + 1 + tail.utf8.count > maxBytes { break }
            text += (n == 0 ? "" : ",") + one
            n += 1
        }
        return text + tail
    }
}

/// Submits one scheduled message every 20 ms and keeps how long each answer took (ms).
final class SubmitProbe: @unchecked Sendable {
    private let lock = NSLock()
    private var latencies: [Double] = []

    func sorted() -> [Double] { lock.withLock { latencies.sorted() } }

    func run(_ bench: Bench) async throws -> [Double] {
        var i = 0
        // Parked 200 days ahead (within the 366-day horizon), so nothing is sent.
        let later = ISO8601DateFormatter().string(from: Date().addingTimeInterval(200 * 86_400))
        while !Task.isCancelled {
            let body = #"{"channel":"idle","to":"+49159\#(String(format: "%08d", i))","message":{"type":"text","text":{"body":"x"}},"not_before":"\#(later)"}"#
            i += 1
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try await bench.socket(.POST, "/v1/messages", body: Array(body.utf8))
            let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            lock.withLock { latencies.append(ms) }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return sorted()
    }
}

/// A plain TCP connection that a bench phase holds open or trickles bytes into.
final class RawSocket: @unchecked Sendable {
    private let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw BenchError("connect: errno \(errno)")
        }
    }

    deinit { close(fd) }

    /// False once the peer closed.
    @discardableResult
    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }
}
