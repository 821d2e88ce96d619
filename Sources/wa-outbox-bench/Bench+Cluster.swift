import AsyncHTTPClient
import Foundation
import NIOHTTP1
import OutboxAPI

/// Several daemons on one PostgreSQL database (issue 17): the aggregate dispatch of three
/// daemons on ten unlimited channels beside one daemon on the same PostgreSQL and one on
/// SQLite, in the same run and against the same sandbox; and the longest gap in a channel's
/// requests around a kill -9 and around a SIGTERM of the daemon sending it. Needs a
/// PostgreSQL URL in `WA_OUTBOX_TEST_POSTGRES` (scripts/bench starts a private server).
extension Bench {
    static let clusterChannels = (0..<10).map { "cl\($0)" }

    /// A daemon of the cluster phase: its own folder, socket and process.
    struct ClusterDaemon {
        var name: String
        var socket: String
        var process: Process
    }

    func clusterConfig(_ name: String, database: String) throws -> String {
        let folder = "\(dir)/\(name)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var toml = """
            [daemon]
            database = "\(database)"
            socket = "s.sock"
            log_level = "warning"

            [sender]
            max_in_flight = 64

            [cluster]
            lease_ttl = "2s"
            name = "\(name)"

            [templates]
            sync_interval = "0s"

            """
        for c in Self.clusterChannels {
            FileManager.default.createFile(atPath: "\(folder)/\(c).key", contents: Data("key-\(c)".utf8), attributes: [.posixPermissions: 0o600])
            toml += "\n[[channels]]\nname = \"\(c)\"\nbase_url = \"http://127.0.0.1:\(sandboxPort)\"\napi_key_file = \"\(c).key\"\nmessages_per_second = 0\nenforce_window = false\n"
        }
        try toml.write(toFile: "\(folder)/wa-outbox.toml", atomically: true, encoding: .utf8)
        return "\(folder)/wa-outbox.toml"
    }

    func startClusterDaemon(_ name: String, database: String) async throws -> ClusterDaemon {
        let config = try clusterConfig(name, database: database)
        let p = try spawn(["serve", "--config", config], log: "\(name).log", binary: daemonBinary)
        let d = ClusterDaemon(name: name, socket: "\(dir)/\(name)/s.sock", process: p)
        try await waitFor(timeout: 60) { (try? await self.socket(at: d.socket, .GET, "/v1/health").0) == 200 }
        return d
    }

    func socket(at path: String, _ method: HTTPMethod, _ url: String, body: [UInt8]? = nil) async throws -> (Int, [UInt8]) {
        try await request(method, URL(httpURLWithSocketPath: path, uri: url)!.absoluteString, body: body)
    }

    func channelsDocument(_ d: ClusterDaemon) async throws -> ChannelsDocument {
        let (_, body) = try await socket(at: d.socket, .GET, "/v1/channels")
        return try JSONDecoder().decode(ChannelsDocument.self, from: Data(body))
    }

    /// Request starts per channel (ms), from the attempts table, through psql.
    func attemptStarts(url: String, schema: String?) throws -> [String: [Int64]] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        let setPath = schema.map { "SET search_path = \($0); " } ?? ""
        p.arguments = [url.replacingOccurrences(of: "&options=-c%20search_path%3D\(schema ?? "")", with: ""), "-At", "-F", " ", "-c",
                       setPath + "SELECT channel, at FROM attempts ORDER BY at"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        var starts: [String: [Int64]] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, let at = Int64(f[1]) { starts[String(f[0]), default: []].append(at) }
        }
        return starts
    }

    /// One run: `daemons` daemons on `database`; every channel's messages due at once; sends
    /// per second from the due time to the drain. With `failover`, one daemon is killed (-9)
    /// and, later, another stopped (SIGTERM) mid-run; returns the longest gap in the requests
    /// of the channels each was sending.
    func clusterRun(_ label: String, database: String, schema: String?, daemons n: Int, perChannel: Int, failover: Bool)
        async throws -> (rate: Double, cpuPerSend: Double, killGap: Int64?, termGap: Int64?) {
        var ds: [ClusterDaemon] = []
        defer { for d in ds where d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        for i in 1...n { ds.append(try await startClusterDaemon("\(label)-d\(i)", database: database)) }
        if n > 1 {
            // The ten channels spread over the daemons.
            try await waitFor(timeout: 90) {
                let owners = try await self.channelsDocument(ds[0]).channels.compactMap { $0.sentBy?.daemon }
                return owners.count == Self.clusterChannels.count && Set(owners).count == n
            }
        }
        let due = Date().addingTimeInterval(20)
        let dueText = ISO8601DateFormatter().string(from: due)
        for (i, c) in Self.clusterChannels.enumerated() {
            let lines = self.lines(count: perChannel, channel: c, offset: 70_000_000 + i * 1_000_000 + (label.hashValue & 0xFFFF) * 10_000_000, notBefore: dueText)
            for start in stride(from: 0, to: lines.count, by: 1000) {
                let d = ds[(start / 1000 + i) % ds.count]
                let (status, _) = try await socket(at: d.socket, .POST, "/v1/messages/batch", body: Array(lines[start..<min(lines.count, start + 1000)].joined(separator: "\n").utf8))
                guard status == 200 else { throw BenchError("cluster \(label): batch refused \(status)") }
            }
        }
        guard Date() < due else { throw BenchError("cluster \(label): submitting took longer than 20 s") }
        let cpu0 = ds.map { Self.cpuSeconds($0.process) }.reduce(0, +)
        try await Task.sleep(for: .seconds(due.timeIntervalSinceNow))
        var killed: (at: Int64, channels: [String])?
        var stopped: (at: Int64, channels: [String])?
        let total = perChannel * Self.clusterChannels.count
        var drainedAt = Date()
        while true {
            let doc = try await channelsDocument(ds.first { $0.process.isRunning }!)
            let left = doc.channels.map { $0.queued + $0.sending }.reduce(0, +)
            if left == 0 { drainedAt = Date(); break }
            let elapsed = Date().timeIntervalSince(due)
            guard elapsed < 600 else { throw BenchError("cluster \(label): \(left) of \(total) not sent after 10 minutes") }
            if failover, killed == nil, elapsed > 2 {
                let victim = ds[1]
                killed = (Int64(Date().timeIntervalSince1970 * 1000), doc.channels.filter { $0.sentBy?.daemon?.hasPrefix(victim.name + ":") == true }.map(\.name))
                kill(victim.process.processIdentifier, SIGKILL)
            }
            if failover, stopped == nil, let k = killed, Int64(Date().timeIntervalSince1970 * 1000) - k.at > 8_000, ds.count > 2 {
                let victim = ds[2]
                stopped = (Int64(Date().timeIntervalSince1970 * 1000), doc.channels.filter { $0.sentBy?.daemon?.hasPrefix(victim.name + ":") == true }.map(\.name))
                kill(victim.process.processIdentifier, SIGTERM)
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        let cpu = ds.map { Self.cpuSeconds($0.process) }.reduce(0, +) - cpu0
        let rate = Double(total) / max(0.001, drainedAt.timeIntervalSince(due))
        var gaps: (Int64?, Int64?) = (nil, nil)
        if failover, database.hasPrefix("postgresql") {
            let starts = try attemptStarts(url: database, schema: schema)
            func gap(_ event: (at: Int64, channels: [String])?) -> Int64? {
                guard let event else { return nil }
                return event.channels.compactMap { c -> Int64? in
                    let around = (starts[c] ?? []).filter { $0 > event.at - 5_000 && $0 < event.at + 30_000 }
                    return zip(around.dropFirst(), around).map { $0 - $1 }.max()
                }.max()
            }
            gaps = (gap(killed), gap(stopped))
        }
        for d in ds where d.process.isRunning {
            kill(d.process.processIdentifier, SIGTERM)
            d.process.waitUntilExit()
        }
        return (rate, cpu / Double(total) * 1e6, gaps.0, gaps.1)
    }

    func cluster() async throws -> [ResultRow] {
        guard let pg = ProcessInfo.processInfo.environment["WA_OUTBOX_TEST_POSTGRES"] else {
            return [ResultRow(figure: "several daemons on PostgreSQL", value: "skipped: no WA_OUTBOX_TEST_POSTGRES (scripts/bench starts a private server)",
                              target: "-", ceiling: "-", pass: nil)]
        }
        // The single daemon's channels stay quiet meanwhile (its queue is empty).
        let per = scale.aggregatePerChannel / 2
        let tag = String(UInt32.random(in: .min ... .max), radix: 36)
        let sqlite = try await clusterRun("sqlite", database: "\(dir)/sqlite-cluster.db", schema: nil, daemons: 1, perChannel: per, failover: false)
        let one = try await clusterRun("pg1", database: pg + "&options=-c%20search_path%3Dbench_one_\(tag)", schema: "bench_one_\(tag)", daemons: 1,
                                       perChannel: per, failover: false)
        let three = try await clusterRun("pg3", database: pg + "&options=-c%20search_path%3Dbench_three_\(tag)", schema: "bench_three_\(tag)", daemons: 3,
                                         perChannel: per, failover: false)
        let fail = try await clusterRun("pgf", database: pg + "&options=-c%20search_path%3Dbench_fail_\(tag)", schema: "bench_fail_\(tag)", daemons: 3,
                                        perChannel: per, failover: true)
        let total = per * Self.clusterChannels.count
        return [
            ResultRow(figure: "aggregate dispatch, 10 unlimited channels, \(total) messages: 3 daemons on one PostgreSQL",
                      value: "\(fmt(three.rate)) sends/s, \(fmt(three.cpuPerSend)) µs daemon CPU per send (all three)",
                      target: "keeps the guarantees; on 2 cores, not more than one daemon",
                      ceiling: "one daemon on the same PostgreSQL: \(fmt(one.rate)) sends/s, \(fmt(one.cpuPerSend)) µs (ratio \(fmt(three.rate / one.rate, 2))); on SQLite: \(fmt(sqlite.rate)) sends/s, \(fmt(sqlite.cpuPerSend)) µs",
                      pass: nil),
            ResultRow(figure: "longest gap in a channel's requests around a kill -9 of its daemon (lease_ttl 2 s)",
                      value: fail.killGap.map { "\($0) ms" } ?? "no channel was on the killed daemon",
                      target: "about ttl + a poll + 1 s (3.4 s)", ceiling: "aggregate of that run: \(fmt(fail.rate)) sends/s", pass: fail.killGap.map { $0 < 10_000 }),
            ResultRow(figure: "longest gap in a channel's requests around a SIGTERM of its daemon",
                      value: fail.termGap.map { "\($0) ms" } ?? "no channel was on the stopped daemon",
                      target: "about the drain + 1 s", ceiling: "-", pass: fail.termGap.map { $0 < 5_000 }),
        ]
    }
}
