import Foundation
import OutboxCore
import OutboxStore
import Testing
import TestSupport

/// Rough figures of the store's dispatch path on each engine (debug build, a loaded shared
/// machine: for comparing the engines, not for the README's benchmark table). Off unless
/// `WA_OUTBOX_FIGURES=1`: `WA_OUTBOX_FIGURES=1 scripts/test --filter StoreFigures`.
@Suite("Store figures", .enabled(if: ProcessInfo.processInfo.environment["WA_OUTBOX_FIGURES"] == "1", "set WA_OUTBOX_FIGURES=1 to measure"))
struct StoreFiguresTests {
    let dir = TempDir()

    @Test("submit, claim and record 2,000 messages in batches of 100", arguments: StoreEngine.all)
    func dispatchPath(engine: StoreEngine) async throws {
        let store = try await StoreFactory(engine, dir).open()
        let clock = ContinuousClock()
        var submit = Duration.zero, claim = Duration.zero, record = Duration.zero
        for batch in 0..<20 {
            let subs = (0..<100).map { text("m", to: "+49151\(String(format: "%07d", batch * 100 + $0))") }
            submit += try await clock.measure { _ = try await store.submit(subs, nowMillis: 1) }
        }
        var sent = 0
        while sent < 2_000 {
            var claimed: [ClaimedMessage] = []
            claim += try await clock.measure { claimed = try await store.claim(channel: "main", nowMillis: 10, limit: 100, rules: lax) }
            guard !claimed.isEmpty else { break }
            let records = claimed.map { AttemptRecord(message: $0, startedMillis: 10, latencyMillis: 1, result: .accepted(wamid: "wamid.\($0.id)", messageStatus: nil),
                                                      decision: .sent(wamid: "wamid.\($0.id)")) }
            record += try await clock.measure { try await store.record(records, nowMillis: 11) }
            sent += claimed.count
        }
        #expect(sent == 2_000)
        func perBatch(_ d: Duration) -> String { String(format: "%.1f ms", Double(d.components.attoseconds) / 1e15 / 20 + Double(d.components.seconds) * 1_000 / 20) }
        print("store figures (\(engine.rawValue), debug): per batch of 100: submit \(perBatch(submit)), claim \(perBatch(claim)), record \(perBatch(record))")
    }
}
