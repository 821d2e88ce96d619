import Foundation
import GRDB

extension Bench {
    /// `wa-outbox import` of a generated template CSV, run as its own process against a
    /// daemon of its own (a fresh outbox whose one channel sends to the sandbox at 80 mps,
    /// a real channel's pace, so sending goes on but does not compete much). Measured: the
    /// client's wall time and peak RSS (wait4's rusage) at two file sizes, every row checked
    /// stored in the outbox; beside it `sqlite3`'s own `.import` of the same file into a bare
    /// table with the same sync setting (WAL, synchronous=FULL), and the client alone
    /// (`--dry-run`: read, map, validate, no daemon). The client is this figure's load
    /// generator: its CPU per row (wait4) stands beside the daemon's (/proc).
    func csvImport() async throws -> [ResultRow] {
        let csvDir = "\(dir)/csv"
        try FileManager.default.createDirectory(atPath: csvDir, withIntermediateDirectories: true)
        let small = scale.csvRows / 10
        let smallFile = "\(csvDir)/campaign-small.csv"
        let largeFile = "\(csvDir)/campaign-large.csv"
        try Self.writeCampaignCSV(rows: small, offset: 0, to: smallFile)
        try Self.writeCampaignCSV(rows: scale.csvRows, offset: 10_000_000, to: largeFile)

        let ceiling = try sqliteImport(largeFile, into: "\(csvDir)/bare.db")
        let dryRun = try await runMeasured(binary, ["import", largeFile, "--channel", "csv", "--template", "order_update",
                                                     "--language", "en_US", "--dry-run", "--json"], in: csvDir, log: "dry-run")

        FileManager.default.createFile(atPath: "\(csvDir)/csv.key", contents: Data("key-csv".utf8), attributes: [.posixPermissions: 0o600])
        // Without a lookahead the daemon's default (20,000); a daemon from before staging knows no such key.
        func writeConfig(lookahead: Int?) throws {
            try """
            [daemon]
            database = "outbox.db"
            socket = "s.sock"
            log_level = "warning"

            \(lookahead.map { "[submission]\nimport_lookahead = \($0)" } ?? "")

            [[channels]]
            name = "csv"
            base_url = "http://127.0.0.1:\(sandboxPort)"
            api_key_file = "csv.key"
            messages_per_second = 80
            enforce_window = false
            """.write(toFile: "\(csvDir)/wa-outbox.toml", atomically: true, encoding: .utf8)
        }
        try writeConfig(lookahead: nil)
        let socketPath = "\(csvDir)/s.sock"
        var csvDaemon = try spawn(["serve", "--config", "\(csvDir)/wa-outbox.toml"], log: "csv/daemon.log")
        defer {
            kill(csvDaemon.processIdentifier, SIGTERM)
            csvDaemon.waitUntilExit()
        }
        let health = URL(httpURLWithSocketPath: socketPath, uri: "/v1/health")!.absoluteString
        try await waitFor(timeout: 60) { (try? await self.request(.GET, health, body: nil).0) == 200 }
        /// Rows of an import stored (messages) and staged (not messages yet).
        func storedRows(_ importID: String) throws -> (messages: Int, staged: Int) {
            var c = Configuration()
            c.readonly = true
            let db = try DatabaseQueue(path: "\(csvDir)/outbox.db", configuration: c)
            defer { try? db.close() }
            return try db.read { db in
                // A daemon from before staging (schema 10) has no staging table.
                let staging = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE name = 'staged_rows')") ?? false
                return (try Int.fetchOne(db, sql: "SELECT count(*) FROM messages WHERE import_id = ?", arguments: [importID]) ?? 0,
                        staging ? try Int.fetchOne(db, sql: """
                            SELECT count(*) FROM staged_rows WHERE seq IN (SELECT seq FROM staged_imports WHERE import_id = ?)
                            """, arguments: [importID]) ?? 0 : 0)
            }
        }

        func importFile(_ path: String, rows: Int, log: String) async throws -> (Measured, importID: String) {
            let m = try await runMeasured(binary, ["import", path, "--channel", "csv", "--template", "order_update", "--language", "en_US",
                                                   "--socket", socketPath, "--json"], in: csvDir, log: log)
            guard let summary = try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(csvDir)/\(log).out"))) as? [String: Any],
                  summary["accepted"] as? Int == rows, let importID = summary["import_id"] as? String
            else { throw BenchError("import of \(rows) rows did not queue them all; see \(csvDir)/\(log).*") }
            let stored = try storedRows(importID)
            guard stored.messages + stored.staged == rows else {
                throw BenchError("import \(importID): \(stored.messages) messages and \(stored.staged) staged rows of \(rows) rows in the outbox")
            }
            return (m, importID)
        }
        let (smallRun, _) = try await importFile(smallFile, rows: small, log: "import-small")
        let daemonBefore = Self.cpuSeconds(csvDaemon)
        let (largeRun, largeID) = try await importFile(largeFile, rows: scale.csvRows, log: "import-large")
        let daemonUsed = Self.cpuSeconds(csvDaemon) - daemonBefore
        // The rows as stored (staged, or messages by a daemon from before staging) into an
        // empty outbox by sqlite3 alone: what the schema costs.
        let stagedBefore = try storedRows(largeID).staged
        let floor: (seconds: Double, cpuSeconds: Double), floorNote: String
        var expansion: (seconds: Double, cpuSeconds: Double)?
        if stagedBefore > 0 {
            let (floorRows, floorRun) = try stagingFloor(outbox: "\(csvDir)/outbox.db", importID: largeID, folder: csvDir, log: "store-floor")
            let scaleUp = Double(scale.csvRows) / Double(floorRows)
            floor = (floorRun.seconds * scaleUp, floorRun.cpuSeconds * scaleUp)
            floorNote = "the staged rows into an empty outbox by sqlite3 alone (schema, 1,000 per commit; \(floorRows.formatted()) rows, scaled to \(scale.csvRows.formatted()))"
            // What the staged rows cost later, as their channel nears them: the daemon again,
            // with a lookahead past the import, until every row is a message.
            kill(csvDaemon.processIdentifier, SIGTERM)
            csvDaemon.waitUntilExit()
            try writeConfig(lookahead: 100_000_000)
            let expandStart = ContinuousClock.now
            csvDaemon = try spawn(["serve", "--config", "\(csvDir)/wa-outbox.toml"], log: "csv/daemon-expand.log")
            try await waitFor(timeout: 600) { (try? storedRows(largeID).staged) == 0 }
            let elapsed = ContinuousClock.now - expandStart
            expansion = (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, Self.cpuSeconds(csvDaemon))
            guard try storedRows(largeID).messages == scale.csvRows else { throw BenchError("expansion: not every row of \(largeID) became a message") }
        } else {
            let m = try storeFloor(outbox: "\(csvDir)/outbox.db", filter: "import_id = '\(largeID.filter(\.isHexDigit))'", folder: csvDir, log: "store-floor").measured
            floor = (m.seconds, m.cpuSeconds)
            floorNote = "the stored rows into an empty outbox by sqlite3 alone (schema, accepted events, 1,000 per commit)"
        }

        let n = scale.csvRows
        let rate = Double(n) / largeRun.seconds
        let ceilingRate = Double(n) / ceiling
        let mibPerMB = 1_000_000.0 / 1_048_576
        let peak = max(smallRun.maxRSSMiB, largeRun.maxRSSMiB)
        let flat = largeRun.maxRSSMiB - smallRun.maxRSSMiB <= 5
        return [
            ResultRow(figure: "CSV import, \(n.formatted()) template rows, stored durably (80 mps channel sending)",
                      value: "\(fmt(largeRun.seconds, 1)) s, \(fmt(rate)) rows/s (\(small.formatted()) rows: \(fmt(Double(small) / smallRun.seconds)) rows/s)",
                      target: n >= 1_000_000 ? "<= 10 s" : ">= 100,000 rows/s (1M in <= 10 s)",
                      ceiling: "sqlite3 .import of the same file, bare table, WAL FULL: \(fmt(ceiling, 1)) s, \(fmt(ceilingRate)) rows/s (ratio \(fmt(rate / ceilingRate, 2))); \(floorNote): \(fmt(floor.seconds, 1)) s, \(fmt(floor.cpuSeconds / Double(n) * 1e6, 1)) us CPU per row (ratio \(fmt(floor.seconds / largeRun.seconds, 2))); client alone (--dry-run) \(fmt(dryRun.seconds, 1)) s, \(fmt(dryRun.cpuSeconds / Double(n) * 1e6, 1)) us CPU per row",
                      pass: rate >= 1_000_000 / 10),
            ResultRow(figure: "expanding that import's staged rows into messages (later, as the channel nears them)",
                      value: expansion.map { "\(stagedBefore.formatted()) rows in \(fmt($0.seconds, 1)) s, daemon \(fmt($0.cpuSeconds / Double(stagedBefore) * 1e6, 1)) us CPU per row (with its start)" }
                          ?? "nothing staged: every row became a message at the import",
                      target: "-", ceiling: "paid at the channel's pace: 80 msg/s needs 80 rows/s", pass: nil),
            ResultRow(figure: "CPU per row of that import",
                      value: "client (the load generator) \(fmt(largeRun.cpuSeconds / Double(n) * 1e6, 1)) us, daemon \(fmt(daemonUsed / Double(n) * 1e6, 1)) us",
                      target: "-", ceiling: "wall time per row: \(fmt(largeRun.seconds / Double(n) * 1e6, 1)) us", pass: nil),
            ResultRow(figure: "CSV import, client peak RSS",
                      value: "\(fmt(smallRun.maxRSSMiB, 1)) MiB at \(small.formatted()) rows, \(fmt(largeRun.maxRSSMiB, 1)) MiB at \(n.formatted()) rows (dry run \(fmt(dryRun.maxRSSMiB, 1)) MiB)",
                      target: "<= 50 MB (\(fmt(50 * mibPerMB, 1)) MiB), flat", ceiling: "-",
                      pass: peak <= 50 * mibPerMB && flat),
        ]
    }

    /// A campaign file: a template with two body parameters, one quoted with a comma in it.
    static func writeCampaignCSV(rows: Int, offset: Int, to path: String) throws {
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var chunk = "to,body.1,body.2\r\n"
        for i in 0..<rows {
            let n = offset + i
            chunk += "+49151\(String(format: "%08d", n)),Customer \(n),\"Order \(n), 2 items\"\r\n"
            if chunk.utf8.count >= 1 << 20 {
                handle.write(Data(chunk.utf8))
                chunk = ""
            }
        }
        handle.write(Data(chunk.utf8))
    }

    /// Seconds `sqlite3`'s own `.import` takes to load `file` into a bare table of a new
    /// database with the outbox's sync setting.
    func sqliteImport(_ file: String, into db: String) throws -> Double {
        guard let sqlite = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw BenchError("sqlite3 is not installed (scripts/install-deps installs it)")
        }
        let m = try runMeasuredBlocking(sqlite, [db, "PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", ".mode csv", ".import \(file) t"],
                                        in: (db as NSString).deletingLastPathComponent, log: "sqlite3")
        guard m.status == 0 else { throw BenchError("sqlite3 .import failed; see \(db).*") }
        return m.seconds
    }

    struct Measured {
        var status: Int32
        var seconds: Double
        var maxRSSMiB: Double
        /// User + system CPU of the child, from `wait4`.
        var cpuSeconds = 0.0
    }

    /// Runs a program to its end off the cooperative pool; see `runMeasuredBlocking`.
    func runMeasured(_ program: String, _ args: [String], in folder: String, log: String) async throws -> Measured {
        let m = try await withCheckedThrowingContinuation { (c: CheckedContinuation<Measured, any Error>) in
            Thread.detachNewThread {
                c.resume(with: Result { try self.runMeasuredBlocking(program, args, in: folder, log: log) })
            }
        }
        guard m.status == 0 else {
            let err = (try? String(contentsOfFile: "\(folder)/\(log).err", encoding: .utf8)) ?? ""
            throw BenchError("\(args.first ?? program) exited \(m.status): \(err.suffix(600))")
        }
        return m
    }

    /// Spawns `program` (stdout to `log.out`, stderr to `log.err` in `folder`), waits for it
    /// with `wait4`, and returns its exit status, wall time and peak resident memory: the
    /// child's `VmHWM` (its own high-water mark, reset by exec), read every 10 ms until it
    /// exits. (`ru_maxrss` is not: Linux keeps it across exec, so a child spawned from this
    /// process reported this process's peak, 53 MiB by the time the CSV phase ran.)
    func runMeasuredBlocking(_ program: String, _ args: [String], in folder: String, log: String) throws -> Measured {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "\(folder)/\(log).out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "\(folder)/\(log).err", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([program] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let start = DispatchTime.now().uptimeNanoseconds
        let rc = posix_spawn(&pid, program, &actions, nil, argv, environ)
        guard rc == 0 else { throw BenchError("cannot start \(program): error \(rc)") }
        let peak = PeakWatcher(pid: pid)
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw BenchError("wait4 failed: errno \(errno)") }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let exit = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return Measured(status: exit, seconds: seconds, maxRSSMiB: peak.stop(), cpuSeconds: cpu)
    }
}

/// Reads a process's `VmHWM` every 10 ms on a thread of its own until stopped or gone.
final class PeakWatcher: @unchecked Sendable {
    private let lock = NSLock()
    private var peakKiB: Double = 0
    private var done = false
    private let finished = DispatchSemaphore(value: 0)

    init(pid: pid_t) {
        Thread.detachNewThread { [self] in
            while !lock.withLock({ done }) {
                guard let kib = Bench.statusKiB(pid: pid, field: "VmHWM") else { break }
                lock.withLock { peakKiB = max(peakKiB, kib) }
                usleep(10_000)
            }
            finished.signal()
        }
    }

    /// The peak in MiB.
    func stop() -> Double {
        lock.withLock { done = true }
        finished.wait()
        return lock.withLock { peakKiB } / 1024
    }
}
