import Testing
@testable import Sandbox

/// The ledger's decisions without HTTP: time passed in, seeded randomness.
@Suite("Traffic ledger")
struct TrafficLedgerTests {
    /// 2026-11-21T00:00:00Z in nanoseconds, the sandbox clock's unit.
    let start: Int64 = 1_795_219_200_000_000_000

    /// `ms` milliseconds after `start`.
    func at(_ ms: Int) -> Int64 { start + Int64(ms) * 1_000_000 }

    func attempt(to: String = "+4915112345678", key: String? = "key-1", api: SandboxAPI = .cloud) -> MessageAttempt {
        let waID = PhoneNumber.waID(of: to) ?? ""
        return MessageAttempt(api: api, key: key, message: .success(ValidMessage(to: to, waID: waID, type: "text")), body: nil)
    }

    @Test("the throughput window slides: a refused second fits again one second after the first")
    func slidingWindow() {
        // Given a key limited to 2 messages per second
        var ledger = TrafficLedger(configuration: SandboxConfiguration(keys: ["key-1": SandboxKey(messagesPerSecond: 2)]))

        // When requests arrive at 0, 400, 800, 1000 and 1401 ms
        let outcomes = [0, 400, 800, 1000, 1401].map {
            ledger.handle(attempt(), now: at($0)).outcome
        }

        // Then 0 and 400 pass, 800 is refused, 1000 passes once 0 left the window (t - 1 s, t],
        // 1401 passes once 400 left; every window saw at most 3 requests
        #expect(outcomes[0] == .accepted(serial: 1))
        #expect(outcomes[1] == .accepted(serial: 2))
        #expect(outcomes[2] == .apiError(status: 400, code: 130429, details: "Cloud API message throughput has been reached.", retryAfterSeconds: nil))
        #expect(outcomes[3] == .accepted(serial: 3))
        #expect(outcomes[4] == .accepted(serial: 4))
        #expect(ledger.traffic["key-1"]?.all.peak == 3)
    }

    @Test("the same seed gives the same random faults")
    func deterministicFaults() {
        // Given two ledgers with the same seed and a 50% server error rate
        let configuration = SandboxConfiguration(faults: SandboxFaults(serverErrorRate: 0.5), seed: 7)
        var first = TrafficLedger(configuration: configuration)
        var second = TrafficLedger(configuration: configuration)

        // When both see 100 requests
        let a = (0..<100).map { code(first.handle(attempt(), now: at($0)).outcome) }
        let b = (0..<100).map { code(second.handle(attempt(), now: at($0)).outcome) }
        let accepted = first.accepted

        // Then they decide alike, and about half fail
        #expect(a == b)
        #expect(first.accepted == second.accepted)
        #expect((30...70).contains(accepted))
    }

    @Test("recipient faults are used in order, each for its times, and reset re-arms them")
    func faultSequence() {
        // Given two faults for one recipient: 131056 twice, then 131026 once
        let faults = SandboxFaults(recipients: [
            RecipientFault(to: "+4915112345678", code: 131056, times: 2),
            RecipientFault(to: "4915112345678", code: 131026, times: 1, delayMillis: 50),
        ])
        var ledger = TrafficLedger(configuration: SandboxConfiguration(faults: faults))

        // When the recipient is sent to four times
        let verdicts = (0..<4).map { ledger.handle(attempt(), now: at($0)) }

        // Then the answers follow the faults, then success
        #expect(verdicts.map(\.outcome).map(code) == [131056, 131056, 131026, 0])
        #expect(verdicts[2].delayMillis == 50)

        // When the ledger is reset
        ledger.reset()

        // Then the faults apply again and the log is empty
        #expect(ledger.records.count == 0)
        #expect(code(ledger.handle(attempt(), now: at(5000)).outcome) == 131056)
    }

    @Test("keys: unknown keys get 401 when keys are configured, any non-empty key otherwise")
    func keys() {
        var strict = TrafficLedger(configuration: SandboxConfiguration(keys: ["key-1": SandboxKey()]))
        var open = TrafficLedger(configuration: SandboxConfiguration())
        let invalid = SandboxVerdict.Outcome.gatewayError(status: 401, message: "Invalid api_key")

        #expect(strict.handle(attempt(key: "key-2"), now: start).outcome == invalid)
        #expect(strict.handle(attempt(key: "key-1"), now: start).outcome == .accepted(serial: 1))
        #expect(open.handle(attempt(key: ""), now: start).outcome == invalid)
        #expect(open.handle(attempt(key: nil), now: start).outcome == invalid)
        #expect(open.handle(attempt(key: "anything"), now: start).outcome == .accepted(serial: 1))
    }

    @Test("the received log keeps only the newest maxRecorded messages")
    func boundedLog() {
        // Given a log of 3 entries
        var ledger = TrafficLedger(configuration: SandboxConfiguration(maxRecorded: 3))

        // When 5 messages are accepted
        for i in 0..<5 {
            _ = ledger.handle(attempt(to: "+4915100000\(100 + i)"), now: at(i))
        }

        // Then the last 3 remain, oldest first
        #expect(ledger.records.elements.map(\.to) == ["+4915100000102", "+4915100000103", "+4915100000104"])
        #expect(ledger.accepted == 5)
    }

    /// The error code of an outcome; 0 for success, -1 for anything else.
    func code(_ outcome: SandboxVerdict.Outcome) -> Int {
        switch outcome {
        case .accepted: 0
        case .apiError(_, let code, _, _): code
        default: -1
        }
    }
}
