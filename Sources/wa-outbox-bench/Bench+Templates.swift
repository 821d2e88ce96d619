import Foundation
import OutboxAPI

extension Bench {
    /// The cost of the catalog's checks at submission: template messages submitted in batches to
    /// a channel without a catalog (`bulk0`) and to one with a synced catalog of 250 templates
    /// (`idle`), in alternating rounds so drift on this shared machine cancels. The figure is the
    /// daemon's CPU per submission (µs), each side's median over the rounds, and the difference.
    func templateChecks(rounds: Int = 4, perRound: Int = 20_000) async throws -> [ResultRow] {
        let (put, _) = try await request(.PUT, "http://127.0.0.1:\(sandboxPort)/sandbox/templates", body: Array(#"{"generate":250}"#.utf8))
        guard put == 200 else { throw BenchError("the sandbox refused the catalog: \(put)") }
        let (status, body) = try await socket(.POST, "/v1/templates/sync?channel=idle", body: [])
        let sync = try JSONDecoder().decode(TemplateSyncDocument.self, from: Data(body))
        guard status == 200, sync.channels.first?.templates == 250 else { throw BenchError("sync: \(status) \(String(decoding: body, as: UTF8.self))") }
        var without: [Double] = [], with: [Double] = [], wallWithout: [Double] = [], wallWith: [Double] = []
        for round in 0..<rounds {
            for checked in round % 2 == 0 ? [false, true] : [true, false] {
                let offset = 90_000_000 + (round * 2 + (checked ? 1 : 0)) * perRound
                let (cpu, wall) = try await templateRound(channel: checked ? "idle" : "bulk0", count: perRound, offset: offset)
                if checked { with.append(cpu); wallWith.append(wall) } else { without.append(cpu); wallWithout.append(wall) }
            }
        }
        let a = median(without), b = median(with)
        return [ResultRow(
            figure: "template submission, CPU per message: no catalog vs a synced catalog of 250 templates (batches of 1,000)",
            value: "\(fmt(a, 1)) µs vs \(fmt(b, 1)) µs (check costs \(fmt(b - a, 1)) µs)",
            target: "check < 10 µs per submission",
            ceiling: "wall per message: \(fmt(median(wallWithout), 1)) vs \(fmt(median(wallWith), 1)) µs; rounds without: \(without.map { fmt($0, 1) }.joined(separator: ", ")); with: \(with.map { fmt($0, 1) }.joined(separator: ", "))",
            pass: b - a < 10)]
    }

    /// Submits `count` template messages (`bulk_1`, one body parameter) to `channel` in batches of
    /// 1,000 from 8 clients, parked; returns the daemon's CPU and the wall time per message (µs).
    private func templateRound(channel: String, count: Int, offset: Int) async throws -> (cpu: Double, wall: Double) {
        let batches = count / 1000
        let bodies = (0..<batches).map { b in
            Array((0..<1000).map { i in
                let n = offset + b * 1000 + i
                return #"{"channel":"\#(channel)","to":"+49152\#(String(format: "%08d", n))","not_before":"\#(Bench.parked)","message":{"type":"template","template":{"name":"bulk_1","language":{"code":"en_US"},"components":[{"type":"body","parameters":[{"type":"text","text":"v\#(n)"}]}]}}}"#
            }.joined(separator: "\n").utf8)
        }
        let next = Counter()
        let cpu0 = daemonCPU()
        let start = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    while let i = next.take(below: batches) {
                        let (status, body) = try await self.socket(.POST, "/v1/messages/batch", body: bodies[i])
                        let r = try JSONDecoder().decode(BatchResponse.self, from: Data(body))
                        guard status == 200, r.accepted == 1000 else {
                            throw BenchError("template batch refused: \(status) \(r.results.first { $0.error != nil }?.error?.message ?? "")")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let wall = Date().timeIntervalSince(start)
        return ((daemonCPU() - cpu0) * 1e6 / Double(count), wall * 1e6 / Double(count))
    }
}
