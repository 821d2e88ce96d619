import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// What one load-generator process is to do (`wa-outbox-bench --worker SPEC`): the bench
/// spawns several, so that a generator that saturates its process does not cap the figure it
/// drives, and reads their CPU (user + system, from `wait4`) beside it.
struct LoadSpec: Codable, Sendable {
    enum Kind: String, Codable, Sendable {
        /// `count` NDJSON batches of 1,000 submissions to `POST /v1/messages/batch`.
        case batches
        /// One submission per `POST /v1/messages`, for `seconds`, optionally paced.
        case singles
        /// The bodies of `bodiesFile` (one a line) posted to `url`.
        case posts
    }

    var kind: Kind
    /// This process's share: it takes item `i` where `i % workers == worker`.
    var worker: Int
    var workers: Int
    /// Concurrent requests in this process.
    var clients: Int
    /// Wall-clock second (since 1970) at which every process starts, so they run together.
    var startAt: Double
    var socket: String?
    var url: String?
    var channel = "idle"
    var count = 0
    var offset = 0
    var seconds: Double?
    /// Requests per second per client (singles); nil: as fast as answers come.
    var perClientRate: Double?
    var bodiesFile: String?
    var headers: [[String]] = []
    var expectStatus = 200
}

/// What one load-generator process did: its requests, when the first started and the last
/// ended (wall-clock seconds), each request's time in ms, and the CPU (user + system) the
/// process used from the first request to the last (not its start-up and body making).
struct LoadResult: Codable, Sendable {
    var ops: Int
    var first: Double
    var last: Double
    var latenciesMs: [Double]
    var cpuSeconds: Double
}

enum LoadWorker {
    /// Runs the spec at `specPath` and writes its `LoadResult` to `outPath`.
    static func run(specPath: String, outPath: String) async throws {
        let spec = try JSONDecoder().decode(LoadSpec.self, from: Data(contentsOf: URL(fileURLWithPath: specPath)))
        var config = HTTPClient.Configuration()
        config.tracing.tracer = nil
        config.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 128)
        config.httpVersion = .http1Only
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        do {
            try await run(spec, http: http, outPath: outPath)
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    private static func run(_ spec: LoadSpec, http: HTTPClient, outPath: String) async throws {
        let mine = Array(stride(from: spec.worker, to: spec.count, by: max(1, spec.workers)))
        // Bodies are made before the start, as a client that has its data ready would.
        let bodies: [[UInt8]]
        switch spec.kind {
        case .batches:
            bodies = mine.map { i in
                Array(Bench.submissionLines(count: 1000, channel: spec.channel, offset: spec.offset + i * 1000).joined(separator: "\n").utf8)
            }
        case .posts:
            let all = try String(contentsOfFile: spec.bodiesFile ?? "", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true)
            bodies = mine.compactMap { $0 < all.count ? Array(all[$0].utf8) : nil }
        case .singles:
            bodies = []
        }
        let wait = spec.startAt - Date().timeIntervalSince1970
        if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
        let first = Date().timeIntervalSince1970
        let cpuAtFirst = cpuSeconds()
        let next = Counter()
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for c in 0..<spec.clients {
                group.addTask {
                    var l: [Double] = []
                    if spec.kind == .singles {
                        let global = spec.worker * spec.clients + c
                        let start = Date()
                        let deadline = start.addingTimeInterval(spec.seconds ?? 1)
                        var n = 0
                        while Date() < deadline {
                            if let rate = spec.perClientRate {
                                let due = start.addingTimeInterval(Double(n) / rate).timeIntervalSinceNow
                                if due > 0 { try await Task.sleep(nanoseconds: UInt64(due * 1e9)) }
                            }
                            let line = Bench.submissionLines(count: 1, channel: spec.channel, offset: spec.offset + global * 1_000_000 + n)[0]
                            l.append(try await timed(http, spec, path: "/v1/messages", Array(line.utf8)))
                            n += 1
                        }
                        return l
                    }
                    while let i = next.take(below: bodies.count) {
                        l.append(try await timed(http, spec, path: "/v1/messages/batch", bodies[i]))
                    }
                    return l
                }
            }
            var all: [Double] = []
            for try await l in group { all += l }
            return all
        }
        let result = LoadResult(ops: latencies.count, first: first, last: Date().timeIntervalSince1970, latenciesMs: latencies,
                                cpuSeconds: cpuSeconds() - cpuAtFirst)
        try JSONEncoder().encode(result).write(to: URL(fileURLWithPath: outPath))
    }

    /// The socket path as the host of an `http+unix` URL (percent-encoded, as
    /// `URL(httpURLWithSocketPath:)` writes it), made once: Foundation's URL per request was
    /// a cost of the generator's own.
    static func socketHost(_ path: String) -> String {
        if let known = hosts.withLock({ $0[path] }) { return known }
        let host = path.addingPercentEncoding(withAllowedCharacters: .urlHostAllowed) ?? path
        hosts.withLock { $0[path] = host }
        return host
    }

    private static let hosts = Mutex<[String: String]>([:])

    /// User + system CPU seconds this process has used.
    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    /// One request: its time in ms; throws unless the answer is the expected status.
    static func timed(_ http: HTTPClient, _ spec: LoadSpec, path: String, _ body: [UInt8]) async throws -> Double {
        var r = HTTPClientRequest(url: spec.socket.map { "http+unix://\(socketHost($0))\(path)" } ?? spec.url ?? "")
        r.method = .POST
        for h in spec.headers where h.count == 2 { r.headers.add(name: h[0], value: h[1]) }
        r.body = .bytes(ByteBuffer(bytes: body))
        let t0 = DispatchTime.now().uptimeNanoseconds
        let response = try await http.execute(r, timeout: .seconds(120))
        let answer = try await response.body.collect(upTo: 16 << 20)
        let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
        let expected = spec.kind == .singles ? 202 : spec.expectStatus
        guard Int(response.status.code) == expected else {
            throw BenchError("\(path) answered \(response.status.code): \(String(buffer: answer).prefix(300))")
        }
        if spec.kind == .batches, !String(buffer: answer).hasPrefix(#"{"accepted":1000,"#) {
            throw BenchError("batch not wholly accepted: \(String(buffer: answer).prefix(300))")
        }
        return ms
    }
}
