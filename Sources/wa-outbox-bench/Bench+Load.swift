import Foundation

/// What the load-generator processes of one figure did together.
struct LoadRun {
    var ops: Int
    /// From the first request's start in any process to the last one's end in any.
    var seconds: Double
    /// Every request's time in ms, sorted.
    var latencies: [Double]
    /// User + system CPU of all the generator processes from their first request to their last.
    var cpuSeconds: Double
    var processes: Int

    var rate: Double { Double(ops) / seconds }
    var cpuPerOpMicros: Double { cpuSeconds / Double(max(ops, 1)) * 1e6 }
    /// Share of one core the generators used while they ran: near `processes` means they
    /// were the bottleneck.
    var cores: Double { cpuSeconds / seconds }

    /// "load: 4 processes, 21 µs CPU per request (0.35 cores)", for the ceiling column.
    var cpuNote: String {
        "load generators: \(processes) processes, \(fmt(cpuPerOpMicros, 1)) us CPU per request (\(fmt(cores, 2)) cores)"
    }
}

extension Bench {
    /// Runs `spec` in `processes` load-generator processes of this binary at once (each gets
    /// its share of the items and `spec.clients` concurrent requests), and adds up what they
    /// did and the CPU they used. Several processes, so that a generator saturating its one
    /// process cannot cap the figure it drives (issue 18); the CPU beside the figure shows how
    /// much of the machine the load itself took.
    func load(_ spec: LoadSpec, processes: Int, log: String) async throws -> LoadRun {
        let folder = "\(dir)/load"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var specs: [String] = []
        let startAt = Date().timeIntervalSince1970 + 1.0 + 0.2 * Double(processes)
        for k in 0..<processes {
            var s = spec
            s.worker = k
            s.workers = processes
            s.startAt = startAt
            let path = "\(folder)/\(log)-\(k).spec.json"
            try JSONEncoder().encode(s).write(to: URL(fileURLWithPath: path))
            specs.append(path)
        }
        _ = try await withThrowingTaskGroup(of: Measured.self) { group in
            for (k, path) in specs.enumerated() {
                group.addTask {
                    try await self.runMeasured(me, ["--worker", path, "--worker-out", "\(folder)/\(log)-\(k).result.json"], in: folder, log: "\(log)-\(k)")
                }
            }
            var all: [Measured] = []
            for try await m in group { all.append(m) }
            return all
        }
        var results: [LoadResult] = []
        for k in 0..<processes {
            results.append(try JSONDecoder().decode(LoadResult.self, from: Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(log)-\(k).result.json"))))
        }
        let first = results.map(\.first).min() ?? 0
        let last = results.map(\.last).max() ?? 0
        return LoadRun(ops: results.reduce(0) { $0 + $1.ops }, seconds: max(last - first, 1e-3),
                       latencies: results.flatMap(\.latenciesMs).sorted(), cpuSeconds: results.reduce(0) { $0 + $1.cpuSeconds },
                       processes: processes)
    }
}
