import ArgumentParser
import Foundation

/// `wa-outbox-bench`: runs every benchmark against the real binaries (sandbox and daemon in
/// their own processes) and prints one table. Each figure is measured beside its ceiling in
/// the same run, because this machine is shared and absolute times drift.
@main
struct BenchMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wa-outbox-bench", abstract: "Benchmarks of wa-outbox.")

    @Option(help: "The wa-outbox binary to measure.")
    var binary: String = ".build/release/wa-outbox"

    @Option(help: "Run the daemon from this binary instead (e.g. an older build, measured by the sandbox of --binary).")
    var daemonBinary: String?

    @Flag(help: "A short run (under a minute): smaller counts, shorter durations.")
    var quick = false

    @Option(help: "Also write the table as Markdown to this file.")
    var markdown: String?

    @Option(help: .hidden)
    var worker: String?

    @Option(help: .hidden)
    var workerOut: String?

    @Option(help: "Run only these phases (repeat or comma-separate): \(Phase.allCases.map(\.rawValue).joined(separator: ", ")). webhooks also runs aggregate, whose messages its statuses name.")
    var only: [String] = []

    /// The benchmark phases, in the order a run takes them.
    enum Phase: String, CaseIterable {
        case submissions, latency, paced = "dispatch-one", scheduler, reload, aggregate = "dispatch-aggregate", webhooks, metrics, csv, memory, retention, events, hostile, templates, cluster
    }

    func validate() throws {
        for name in only.flatMap({ $0.split(separator: ",") }) where Phase(rawValue: String(name)) == nil {
            throw ValidationError("unknown phase '\(name)'; the phases are \(Phase.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    var phases: Set<Phase> {
        var chosen = Set(only.flatMap { $0.split(separator: ",") }.compactMap { Phase(rawValue: String($0)) })
        if chosen.isEmpty { return Set(Phase.allCases) }
        if chosen.contains(.webhooks) { chosen.insert(.aggregate) }
        return chosen
    }

    func run() async throws {
        // A load-generator process the bench spawned (`Bench.load`): it runs its spec and exits.
        if let worker {
            try await LoadWorker.run(specPath: worker, outPath: workerOut ?? "\(worker).result.json")
            return
        }
        let scale = quick ? Scale.quick : Scale.full
        let bench = try await Bench(binary: URL(fileURLWithPath: binary).standardized.path,
                                    daemonBinary: daemonBinary.map { URL(fileURLWithPath: $0).standardized.path }, scale: scale)
        var rows: [ResultRow] = []
        let phases = self.phases
        // A phase that fails is a row of its own (with the daemon's last log lines on stderr);
        // the run goes on with a fresh daemon, so one failure does not hide every other figure.
        func phase(_ p: Phase, _ body: () async throws -> [ResultRow]) async {
            guard phases.contains(p) else { return }
            do { rows += try await body() } catch {
                rows.append(ResultRow(figure: "phase \(p.rawValue)", value: "FAILED: \(error)", target: "-", ceiling: "-", pass: false))
                let log = (try? String(contentsOfFile: "\(bench.dir)/daemon.log", encoding: .utf8)) ?? ""
                FileHandle.standardError.write(Data("phase \(p.rawValue) failed: \(error)\n--- daemon.log (last lines)\n\(log.split(separator: "\n").suffix(15).joined(separator: "\n"))\n".utf8))
                if !bench.daemonRunning { _ = try? await bench.startDaemon() }
            }
        }
        await phase(.submissions) { try await bench.submissions() }
        await phase(.latency) { try await bench.enqueueLatency() }
        await phase(.paced) { try await bench.dispatchOneChannel() }
        await phase(.scheduler) { try await bench.scheduler() }
        await phase(.reload) { [try await bench.reloadUnderLoad()] }
        await phase(.aggregate) { try await bench.dispatchAggregate() }
        await phase(.webhooks) { try await bench.webhookReceiver() }
        await phase(.metrics) { try await bench.metricsScrapeCost() }
        await phase(.csv) { try await bench.csvImport() }
        await phase(.memory) { try await bench.memoryWithMillionQueued() }
        await phase(.retention) { try await bench.retentionUnderLoad() }
        await phase(.events) { try await bench.events() }
        await phase(.hostile) { try await bench.hostile() }
        await phase(.templates) { try await bench.templateChecks() }
        await phase(.cluster) { try await bench.claimLatency() + bench.cluster() }
        await bench.stop()
        let table = ResultRow.render(rows, title: "wa-outbox benchmarks, \(quick ? "quick" : "full") run, \(ISO8601DateFormatter().string(from: Date()))")
        print(table)
        if let markdown { try ResultRow.markdown(rows).write(toFile: markdown, atomically: true, encoding: .utf8) }
    }
}

/// How big each benchmark is.
struct Scale {
    var batchedMessages: Int
    var singleSeconds: Double
    var pacedMessages: Int
    /// Seconds of backlog for each rate of the one-channel run (80, 200, 1,000 mps).
    var pacedSeconds: Int
    var aggregatePerChannel: Int
    var queuedRows: Int
    /// Rows of the large CSV import; the small one has a tenth.
    var csvRows: Int

    static let full = Scale(batchedMessages: 200_000, singleSeconds: 8, pacedMessages: 10_000, pacedSeconds: 12, aggregatePerChannel: 5_000, queuedRows: 1_000_000, csvRows: 1_000_000)
    static let quick = Scale(batchedMessages: 40_000, singleSeconds: 3, pacedMessages: 3_000, pacedSeconds: 4, aggregatePerChannel: 1_000, queuedRows: 200_000, csvRows: 200_000)
}

/// One line of the results table.
struct ResultRow {
    var figure: String
    var value: String
    var target: String
    var ceiling: String
    var pass: Bool?

    static func render(_ rows: [ResultRow], title: String) -> String {
        let header = ["figure", "measured", "target", "beside its ceiling", "ok"]
        let cells = rows.map { [$0.figure, $0.value, $0.target, $0.ceiling, $0.pass.map { $0 ? "yes" : "NO" } ?? "-"] }
        let widths = header.indices.map { i in ([header] + cells).map { $0[i].count }.max()! }
        func line(_ r: [String]) -> String { r.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") }
        return ([title, line(header), line(widths.map { String(repeating: "-", count: $0) })] + cells.map(line)).joined(separator: "\n")
    }

    static func markdown(_ rows: [ResultRow]) -> String {
        var out = "| figure | measured | target | beside its ceiling | ok |\n|---|---|---|---|---|\n"
        for r in rows { out += "| \(r.figure) | \(r.value) | \(r.target) | \(r.ceiling) | \(r.pass.map { $0 ? "yes" : "**no**" } ?? "-") |\n" }
        return out
    }
}
