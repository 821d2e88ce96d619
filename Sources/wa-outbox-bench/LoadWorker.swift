import Foundation

/// What one load-generator process is to do (`wa-outbox-bench --worker SPEC`): the bench
/// spawns several, so that a generator that saturates its process does not cap the figure it
/// drives, and shows their CPU (user + system, each process's own `getrusage`) beside it.
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
    /// Runs the spec at `specPath` and writes its `LoadResult` to `outPath`. Each client is a
    /// thread with one blocking keep-alive connection (`BlockingHTTP`).
    static func run(specPath: String, outPath: String) async throws {
        let spec = try JSONDecoder().decode(LoadSpec.self, from: Data(contentsOf: URL(fileURLWithPath: specPath)))
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
        let target = spec.url.flatMap { URLComponents(string: $0) }
        let path = spec.kind == .posts ? (target?.path ?? "/") : (spec.kind == .batches ? "/v1/messages/batch" : "/v1/messages")
        let wait = spec.startAt - Date().timeIntervalSince1970
        if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
        let first = Date().timeIntervalSince1970
        let cpuAtFirst = cpuSeconds()
        let next = Counter()
        let outcomes = Outcomes()
        let done = DispatchGroup()
        for c in 0..<spec.clients {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                do {
                    let connection = try BlockingHTTP(socket: spec.socket, port: target?.port)
                    var l: [Double] = []
                    if spec.kind == .singles {
                        let global = spec.worker * spec.clients + c
                        let start = Date()
                        let deadline = start.addingTimeInterval(spec.seconds ?? 1)
                        var n = 0
                        while Date() < deadline {
                            if let rate = spec.perClientRate {
                                let due = start.addingTimeInterval(Double(n) / rate).timeIntervalSinceNow
                                if due > 0 { usleep(UInt32(due * 1e6)) }
                            }
                            let line = Bench.submissionLines(count: 1, channel: spec.channel, offset: spec.offset + global * 1_000_000 + n)[0]
                            l.append(try timed(connection, spec, path: path, Array(line.utf8)))
                            n += 1
                        }
                    } else {
                        while let i = next.take(below: bodies.count) { l.append(try timed(connection, spec, path: path, bodies[i])) }
                    }
                    outcomes.add(l)
                } catch {
                    outcomes.fail(error)
                }
            }
        }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in done.notify(queue: .global()) { c.resume() } }
        let latencies = try outcomes.all()
        let result = LoadResult(ops: latencies.count, first: first, last: Date().timeIntervalSince1970, latenciesMs: latencies,
                                cpuSeconds: cpuSeconds() - cpuAtFirst)
        try JSONEncoder().encode(result).write(to: URL(fileURLWithPath: outPath))
    }

    /// User + system CPU seconds this process has used.
    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    /// One request: its time in ms; throws unless the answer is the expected status.
    static func timed(_ connection: BlockingHTTP, _ spec: LoadSpec, path: String, _ body: [UInt8]) throws -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let (status, answer) = try connection.post(path, headers: spec.headers, body: body)
        let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
        let expected = spec.kind == .singles ? 202 : spec.expectStatus
        guard status == expected else {
            throw BenchError("\(path) answered \(status): \(String(decoding: answer.prefix(300), as: UTF8.self))")
        }
        if spec.kind == .batches, !answer.starts(with: Array(#"{"accepted":1000,"#.utf8)) {
            throw BenchError("batch not wholly accepted: \(String(decoding: answer.prefix(300), as: UTF8.self))")
        }
        return ms
    }
}

/// The clients' request times, or the first error one of them met.
final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var latencies: [Double] = []
    private var error: (any Error)?

    func add(_ l: [Double]) { lock.withLock { latencies += l } }
    func fail(_ e: any Error) { lock.withLock { if error == nil { error = e } } }
    func all() throws -> [Double] {
        try lock.withLock {
            if let error { throw error }
            return latencies
        }
    }
}
