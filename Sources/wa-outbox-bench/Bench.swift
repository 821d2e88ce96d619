import AsyncHTTPClient
import Foundation
import GRDB
import NIOCore
import NIOHTTP1
import OutboxAPI

/// The benchmark rig: a temporary folder, the sandbox and the daemon as child processes of
/// the real binary, and an HTTP client for the socket and the sandbox.
final class Bench: @unchecked Sendable {
    let binary: String
    /// The binary the daemon runs from (the sandbox always runs from `binary`).
    let daemonBinary: String
    let scale: Scale
    let dir: String
    let http: HTTPClient
    var sandbox: Process?
    var daemon: Process?
    let sandboxPort = 19_000 + Int.random(in: 0..<500)
    let webhookPort = 19_600 + Int.random(in: 0..<300)
    static let channels = (0..<10).map { "bulk\($0)" }

    init(binary: String, daemonBinary: String? = nil, scale: Scale) async throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw BenchError("no binary at \(binary); run scripts/bench") }
        self.binary = binary
        self.daemonBinary = daemonBinary ?? binary
        self.scale = scale
        dir = "/tmp/wao-bench-\(UInt32.random(in: .min ... .max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var config = HTTPClient.Configuration()
        // No tracing spans: with none asked for, AsyncHTTPClient still made one per request through
        // the global no-op tracer, parsing the URL with Foundation each time (seen in profiles).
        config.tracing.tracer = nil
        config.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 128)
        config.httpVersion = .http1Only
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        for name in Self.channels + Self.pacedChannels.map({ $0.0 }) + ["idle", "sched"] {
            FileManager.default.createFile(atPath: "\(dir)/\(name).key", contents: Data("key-\(name)".utf8), attributes: [.posixPermissions: 0o600])
        }
        try writeConfig()
        sandbox = try spawn(["sandbox", "--listen", "127.0.0.1:\(sandboxPort)", "--no-bodies"], log: "sandbox.log")
        try await waitFor { (try? await self.get("http://127.0.0.1:\(self.sandboxPort)/sandbox/stats").0) == 200 }
        try await startDaemon()
    }

    var socketPath: String { "\(dir)/s.sock" }
    var databasePath: String { "\(dir)/outbox.db" }

    func writeConfig() throws {
        var toml = """
            [daemon]
            database = "outbox.db"
            socket = "s.sock"
            log_level = "warning"

            [sender]
            max_in_flight = 64

            [webhook]
            listen = "127.0.0.1:\(webhookPort)"

            [templates]
            sync_interval = "0s"

            """
        for name in Self.channels {
            toml += "\n[[channels]]\nname = \"\(name)\"\nbase_url = \"http://127.0.0.1:\(sandboxPort)\"\napi_key_file = \"\(name).key\"\nmessages_per_second = 0\nenforce_window = false\n"
        }
        for (name, rate) in Self.pacedChannels {
            toml += "\n[[channels]]\nname = \"\(name)\"\nbase_url = \"http://127.0.0.1:\(sandboxPort)\"\napi_key_file = \"\(name).key\"\nmessages_per_second = \(rate)\nenforce_window = false\n"
        }
        toml += "\n[[channels]]\nname = \"sched\"\nbase_url = \"http://127.0.0.1:\(sandboxPort)\"\napi_key_file = \"sched.key\"\nmessages_per_second = 1000\nenforce_window = false\npair_interval = \"6s\"\n"
        toml += "\n[[channels]]\nname = \"idle\"\nbase_url = \"http://127.0.0.1:\(sandboxPort)\"\napi_key_file = \"idle.key\"\nmessages_per_second = 80\nenforce_window = false\n"
        try toml.write(toFile: "\(dir)/wa-outbox.toml", atomically: true, encoding: .utf8)
    }

    func spawn(_ args: [String], log: String, binary: String? = nil) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary ?? self.binary)
        p.arguments = args
        FileManager.default.createFile(atPath: "\(dir)/\(log)", contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(dir)/\(log)"))
        handle.seekToEndOfFile()
        p.standardError = handle
        p.standardOutput = handle
        try p.run()
        return p
    }

    /// Starts the daemon and returns the seconds until it answered on its socket.
    @discardableResult
    func startDaemon() async throws -> Double {
        let start = Date()
        daemon = try spawn(["serve", "--config", "\(dir)/wa-outbox.toml"], log: "daemon.log", binary: daemonBinary)
        try await waitFor(timeout: 60) { (try? await self.socket(.GET, "/v1/health").0) == 200 }
        return Date().timeIntervalSince(start)
    }

    var daemonRunning: Bool { daemon?.isRunning ?? false }

    func stopDaemon() async {
        guard let d = daemon, d.isRunning else { return }
        kill(d.processIdentifier, SIGTERM)
        for _ in 0..<300 where d.isRunning { try? await Task.sleep(nanoseconds: 50_000_000) }
        if d.isRunning { kill(d.processIdentifier, SIGKILL) }
        daemon = nil
    }

    func stop() async {
        await stopDaemon()
        if let s = sandbox, s.isRunning { kill(s.processIdentifier, SIGTERM); s.waitUntilExit() }
        try? await http.shutdown()
        // WAO_BENCH_KEEP=1 keeps the run's folder (database, logs) for a look afterwards.
        if ProcessInfo.processInfo.environment["WAO_BENCH_KEEP"] == "1" {
            print("kept the run's folder: \(dir)")
        } else {
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    /// CPU seconds (user + system) the process has used so far, from /proc/PID/stat.
    static func cpuSeconds(_ process: Process?) -> Double {
        guard let p = process, let stat = try? String(contentsOfFile: "/proc/\(p.processIdentifier)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    func daemonCPU() -> Double { Self.cpuSeconds(daemon) }
    func sandboxCPU() -> Double { Self.cpuSeconds(sandbox) }

    /// Resident memory of the daemon, in MiB (VmRSS).
    func daemonRSS() -> Double {
        guard let d = daemon else { return 0 }
        return (Self.statusKiB(pid: d.processIdentifier, field: "VmRSS") ?? 0) / 1024
    }

    /// A memory field of /proc/PID/status (`VmRSS`, `VmHWM`, ...) in KiB; nil once the process is gone.
    static func statusKiB(pid: pid_t, field: String) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return nil }
        return Double(line.split(separator: " ").dropFirst().first ?? "")
    }

    func socket(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async throws -> (Int, [UInt8]) {
        let url = URL(httpURLWithSocketPath: socketPath, uri: path)!
        return try await request(method, url.absoluteString, body: body)
    }

    func get(_ url: String) async throws -> (Int, [UInt8]) { try await request(.GET, url, body: nil) }

    func request(_ method: HTTPMethod, _ url: String, body: [UInt8]?, headers: [(String, String)] = []) async throws -> (Int, [UInt8]) {
        var r = HTTPClientRequest(url: url)
        r.method = method
        for (k, v) in headers { r.headers.add(name: k, value: v) }
        if let body { r.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await http.execute(r, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), Array(bytes.readableBytesView))
    }

    func waitFor(timeout: Double = 30, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw BenchError("timed out waiting; see \(dir)/*.log")
    }

    /// A read-only view of the daemon's database, for figures the API does not give.
    func database() throws -> DatabaseQueue {
        var c = Configuration()
        c.readonly = true
        return try DatabaseQueue(path: databasePath, configuration: c)
    }

    /// Waits until `channel` has no queued or sending message.
    func waitUntilDrained(channels: Set<String>, timeout: Double) async throws {
        try await waitFor(timeout: timeout) {
            let (_, body) = try await self.socket(.GET, "/v1/channels")
            let doc = try JSONDecoder().decode(ChannelsDocument.self, from: Data(body))
            return doc.channels.filter { channels.contains($0.name) }.allSatisfy { $0.queued == 0 && $0.sending == 0 }
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Percentile of sorted values (nearest rank).
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))]
}

func fmt(_ v: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", v) }
