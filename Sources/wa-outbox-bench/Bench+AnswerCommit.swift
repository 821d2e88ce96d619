import Foundation

extension Bench {
    /// Cumulative bucket counts of one histogram of the daemon's `/metrics`, by upper bound (seconds).
    func histogram(_ name: String) async throws -> [(le: Double, count: Double)] {
        let (_, body) = try await socket(.GET, "/metrics")
        let prefix = name + "_bucket{"
        return String(decoding: body, as: UTF8.self).split(separator: "\n").compactMap { line -> (Double, Double)? in
            guard line.hasPrefix(prefix), let le = line.range(of: #"le=""#), let close = line[le.upperBound...].firstIndex(of: "\""),
                  let count = Double(line.split(separator: " ").last ?? "") else { return nil }
            let bound = String(line[le.upperBound..<close])
            return (bound == "+Inf" ? .infinity : Double(bound) ?? .nan, count)
        }.sorted { $0.0 < $1.0 }
    }

    /// The q-quantile (seconds) of what a histogram gained between two readings, interpolated
    /// within its bucket as Prometheus' histogram_quantile does; nil when nothing was recorded.
    static func quantile(_ q: Double, before: [(le: Double, count: Double)], after: [(le: Double, count: Double)]) -> Double? {
        let old = Dictionary(before.map { ($0.le, $0.count) }, uniquingKeysWith: { a, _ in a })
        let gained = after.map { (le: $0.le, count: $0.count - (old[$0.le] ?? 0)) }
        guard let total = gained.last?.count, total > 0 else { return nil }
        let rank = q * total
        var lower = 0.0, below = 0.0
        for b in gained {
            if b.count >= rank {
                if b.le == .infinity { return lower }
                let inBucket = b.count - below
                return inBucket > 0 ? lower + (b.le - lower) * (rank - below) / inBucket : b.le
            }
            lower = b.le
            below = b.count
        }
        return lower
    }

    /// From an API answer to its audit record on disk, over a dispatch run: the window in which
    /// a crash loses the answer (and resends). Beside it, the submission group commits of the
    /// same run: one fsync each.
    func answerToCommitRow(before: (answer: [(le: Double, count: Double)], commit: [(le: Double, count: Double)])) async throws -> ResultRow {
        let answer = try await histogram("wa_outbox_answer_to_commit_seconds")
        let commit = try await histogram("wa_outbox_submit_commit_seconds")
        let n = (answer.last?.count ?? 0) - (before.answer.last?.count ?? 0)
        func ms(_ q: Double, _ b: [(le: Double, count: Double)], _ a: [(le: Double, count: Double)]) -> String {
            Self.quantile(q, before: b, after: a).map { fmt($0 * 1000, 2) + " ms" } ?? "-"
        }
        let p99 = Self.quantile(0.99, before: before.answer, after: answer)
        let commitP99 = Self.quantile(0.99, before: before.commit, after: commit)
        return ResultRow(
            figure: "answer to commit (aggregate dispatch)",
            value: "p50 \(ms(0.5, before.answer, answer)), p99 \(ms(0.99, before.answer, answer)) over \(fmt(n)) answers",
            target: "about one fsync",
            ceiling: "submission group commits of the same run: p50 \(ms(0.5, before.commit, commit)), p99 \(ms(0.99, before.commit, commit)) (buckets interpolated)",
            pass: p99.flatMap { p in commitP99.map { p <= max(2 * $0, 0.01) } })
    }
}
