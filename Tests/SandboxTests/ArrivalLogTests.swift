import Testing
import TestSupport
@testable import Sandbox

/// What the sandbox reports of a key's pacing is what the API would count: arrivals (heads
/// read), in exact sliding seconds.
@Suite("Sandbox arrival log")
struct ArrivalLogTests {
    let start: Int64 = 1_795_219_200_000_000_000

    @Test("the busiest sliding second and the windows over a limit, from arrivals recorded out of order")
    func figures() {
        var log = ArrivalLog()
        // 0, 100, ..., 900 ms, then 950 and 1050 ms, recorded in a shuffled order
        let ms = [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 950, 1050]
        for m in [950, 0, 300, 100, 200, 500, 400, 1050, 700, 600, 900, 800] { log.record(start + Int64(m) * 1_000_000) }
        let f = log.figures(limit: 10)
        // (−50 ms, 950 ms] holds 11; (50 ms, 1050 ms] holds 11 (100 ... 1050); the others at most 10
        #expect(f.busiest == 11)
        #expect(f.over == 2)
        #expect(f.count == ms.count)
        #expect(log.figures(limit: 0).over == nil)
    }

    @Test("a window is (t − 1 s, t]: requests exactly one second apart are in different windows")
    func halfOpen() {
        var log = ArrivalLog()
        log.record(start)
        log.record(start + 1_000_000_000)
        #expect(log.figures(limit: 1).busiest == 1)
    }

    @Test("the ledger counts a request at its arrival, not when it is decided; stats count windows over ?over=N")
    func ledgerUsesArrival() {
        var ledger = TrafficLedger(configuration: SandboxConfiguration())
        for i in 0..<5 {
            var a = MessageAttempt(api: .cloud, key: "key-1", message: .success(ValidMessage(to: "+4915112345678", waID: "4915112345678", type: "text")), body: nil)
            a.arrival = start + Int64(i) * 100_000_000
            // Decided late, all at once, as after a stall of the sandbox
            _ = ledger.handle(a, now: start + 2_000_000_000)
        }
        let stats = ledger.stats(over: 4).keys[0]
        #expect(stats.busiestArrivalSecond == 5)
        #expect(stats.windowsOver == 1)
        #expect(stats.overLimit == 4)
    }

    @Test("over HTTP: GET /sandbox/stats?over=N reports busiest_arrival_second and windows_over per key")
    func overHTTP() async throws {
        try await withSandbox { sandbox, url in
            let body = #"{"messaging_product":"whatsapp","recipient_type":"individual","to":"+4915112345678","text":{"body":"hi"},"type":"text"}"#
            for _ in 0..<3 {
                let (status, _) = try await httpPost("\(url)/messages", body: body, headers: [("D360-API-KEY", "key-1"), ("Content-Type", "application/json")])
                #expect(status == 200)
            }
            let (_, stats) = try await httpGet("\(url)/sandbox/stats?over=1")
            let text = String(decoding: stats, as: UTF8.self)
            // How close the three came depends on the machine; the figures are the state's.
            let expected = try #require(sandbox.state.stats(key: "key-1", over: 1))
            #expect(expected.busiestArrivalSecond >= 1)
            #expect(text.contains(#""busiest_arrival_second":\#(expected.busiestArrivalSecond)"#))
            #expect(text.contains(#""windows_over":\#(expected.windowsOver ?? -1)"#))
            #expect(text.contains(#""over_limit":1"#))
        }
    }
}
