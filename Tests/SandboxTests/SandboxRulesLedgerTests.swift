import Testing
@testable import Sandbox

/// The pair, window and throughput rules as ledger decisions: time passed in, no HTTP.
@Suite("Sandbox rules, ledger")
struct SandboxRulesLedgerTests {
    /// 2026-11-21T00:00:00Z in nanoseconds, the sandbox clock's unit.
    let start: Int64 = 1_795_219_200_000_000_000

    /// `ms` milliseconds after `start`.
    func at(_ ms: Int) -> Int64 { start + Int64(ms) * 1_000_000 }

    func attempt(
        to: String = "+4915112345678", type: String = "text", key: String = "key-1", api: SandboxAPI = .cloud
    ) -> MessageAttempt {
        let waID = PhoneNumber.waID(of: to) ?? ""
        return MessageAttempt(api: api, key: key, message: .success(ValidMessage(to: to, waID: waID, type: type)), body: nil)
    }

    func ledger(_ rules: SandboxRules, keys: [String: SandboxKey] = [:]) -> TrafficLedger {
        TrafficLedger(configuration: SandboxConfiguration(keys: keys, rules: rules))
    }

    /// The error code of an outcome; 0 for success, -1 for anything else.
    func code(_ verdict: SandboxVerdict) -> Int {
        switch verdict.outcome {
        case .accepted: 0
        case .apiError(_, let code, _, _): code
        default: -1
        }
    }

    // MARK: Pair limit

    @Test("pair limit off: messages to one recipient 1 ms apart all pass, and the gap is reported")
    func pairOff() {
        var ledger = ledger(SandboxRules())
        let codes = [0, 1, 2].map { code(ledger.handle(attempt(), now: at($0))) }

        #expect(codes == [0, 0, 0])
        let stats = ledger.stats(key: "key-1")
        #expect(stats?.minPairGapMillis == 1)
        #expect(stats?.pairViolations == 0)
    }

    @Test("pair limit on: a second message within 6 s is refused with 131056, other recipients are not held")
    func pairOn() {
        // Given the pair limit at Meta's 6 s
        var ledger = ledger(SandboxRules(pairLimit: true))

        // When one recipient is sent to at 0, 5,999 and 6,000 ms and another at 1 ms
        let first = code(ledger.handle(attempt(), now: at(0)))
        let other = code(ledger.handle(attempt(to: "+4915187654321"), now: at(1)))
        let early = ledger.handle(attempt(), now: at(5_999))
        let onTime = code(ledger.handle(attempt(), now: at(6_000)))

        // Then only the early one is refused, as the real API does
        #expect([first, other, onTime] == [0, 0, 0])
        #expect(early.outcome == .apiError(
            status: 400, code: 131056,
            details: "Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.",
            retryAfterSeconds: nil))
        // And the figures show one violation and accepted messages at least 6 s apart
        let stats = ledger.stats(key: "key-1")
        #expect(stats?.pairViolations == 1)
        #expect(stats?.accepted == 3)
        #expect(stats?.minPairGapMillis == 6_000)
        #expect(ledger.stats().pairViolations == 1)
    }

    @Test("pair limit: a refused message costs nothing, the recipient may go one interval after the last accepted")
    func pairRefusalIsFree() {
        var ledger = ledger(SandboxRules(pairLimit: true, pairIntervalMillis: 1_000))
        let codes = [0, 500, 900, 1_000, 1_999, 2_000].map { code(ledger.handle(attempt(), now: at($0))) }
        #expect(codes == [0, 131056, 131056, 0, 131056, 0])
    }

    @Test("pair limit is per key and recipient: the same recipient on another key is not held; the same digits in another spelling are")
    func pairPerKey() {
        var ledger = ledger(SandboxRules(pairLimit: true))
        #expect(code(ledger.handle(attempt(to: "+49 151 12345678", key: "key-1"), now: at(0))) == 0)
        #expect(code(ledger.handle(attempt(to: "+4915112345678", key: "key-2"), now: at(1))) == 0)
        #expect(code(ledger.handle(attempt(to: "4915112345678", key: "key-1"), now: at(2))) == 131056)
        #expect(code(ledger.handle(attempt(to: "+4915112345678", key: "key-1", api: .onpremise), now: at(3))) == 131056)
    }

    @Test("pair burst: up to the burst within one interval, then the recipient waits until the burst is paid back")
    func pairBurst() {
        // Given bursts of 3 at 6 s
        var ledger = ledger(SandboxRules(pairLimit: true, pairIntervalMillis: 6_000, pairBurst: 3))

        // When the recipient is sent to at 0, 1, 2 and 3 s, then just before and at 18 s
        let burst = [0, 1_000, 2_000, 3_000].map { code(ledger.handle(attempt(), now: at($0))) }
        let beforePaid = code(ledger.handle(attempt(), now: at(17_999)))
        let paid = code(ledger.handle(attempt(), now: at(18_000)))

        // Then three go, the fourth is refused, and nothing goes until 3 × 6 s after the start
        #expect(burst == [0, 0, 0, 131056])
        #expect(beforePaid == 131056)
        #expect(paid == 0)
    }

    @Test("pair burst lasts one interval: a slow trickle inside the burst's room is still held once the interval is over")
    func pairBurstWindow() {
        var ledger = ledger(SandboxRules(pairLimit: true, pairIntervalMillis: 1_000, pairBurst: 45))
        // 0 and 999 fit one burst (paid back at 2 s); 1,500 is outside the burst's interval and before payback
        let codes = [0, 999, 1_500, 2_000].map { code(ledger.handle(attempt(), now: at($0))) }
        #expect(codes == [0, 0, 131056, 0])
    }

    @Test("turning the pair limit on mid-run counts the messages sent before")
    func pairTurnedOn() {
        var ledger = ledger(SandboxRules())
        #expect(code(ledger.handle(attempt(), now: at(0))) == 0)
        ledger.setRules(SandboxRules(pairLimit: true))
        #expect(code(ledger.handle(attempt(), now: at(1_000))) == 131056)
    }

    @Test("changing the interval applies at once to messages already sent")
    func pairIntervalChanged() {
        var ledger = ledger(SandboxRules(pairLimit: true, pairIntervalMillis: 6_000))
        #expect(code(ledger.handle(attempt(), now: at(0))) == 0)
        ledger.setRules(SandboxRules(pairLimit: true, pairIntervalMillis: 1_000))
        #expect(code(ledger.handle(attempt(), now: at(999))) == 131056)
        #expect(code(ledger.handle(attempt(), now: at(1_000))) == 0)
    }

    @Test("extreme rules from the Swift API do not overflow; the same values are refused as a document")
    func extremeRules() {
        let extreme = SandboxRules(pairLimit: true, pairIntervalMillis: .max, pairBurst: .max, windowRule: true, windowSeconds: .max)
        var ledger = ledger(extreme)
        ledger.noteInbound(key: "key-1", from: "+4915112345678", now: at(0))
        let codes = (0..<3).map { code(ledger.handle(attempt(), now: at($0))) }
        #expect(codes == [0, 0, 0])
        #expect(extreme.problem == "pair_interval_millis must be 1 to 86400000 (one day)")
        #expect(SandboxRules(windowSeconds: 0).problem == "window_seconds must be 1 to 31536000 (365 days)")
        #expect(SandboxRules(messagesPerSecond: -1).problem != nil)
        #expect(SandboxRules().problem == nil)
    }

    @Test("the pair book stays bounded: silent, paid-back recipients are forgotten")
    func pairBookBounded() {
        // Given a book that sees 100,000 recipients, one every millisecond (100 s)
        var book = PairBook()
        for i in 0..<100_000 {
            book.record(PairBook.id(digits: String(4_915_100_000_000 + i)), now: at(i), interval: 6_000_000_000)
        }
        // Then it holds about two horizons' worth at most, not all of them
        #expect(book.count <= 2 * 60_000 + PairBook.pruneFloor)
        #expect(book.count >= 60_000)
        #expect(book.minGap == nil)
    }

    @Test("recipient ids tell digit strings apart, leading zeros included")
    func recipientIDs() {
        #expect(PairBook.id(digits: "4915112345678") == PairBook.id(digits: "+49 (151) 12345678"))
        #expect(PairBook.id(digits: "04915112345678") != PairBook.id(digits: "4915112345678"))
        #expect(PairBook.id(digits: "999999999999999") != PairBook.id(digits: "99999999999999"))
    }

    // MARK: Window rule

    @Test("window rule off: free-form text passes without any inbound message")
    func windowOff() {
        var ledger = ledger(SandboxRules())
        #expect(code(ledger.handle(attempt(), now: at(0))) == 0)
    }

    @Test("window rule on: text is refused (131047 Cloud, 470 On-Premise) until the user writes; templates always pass")
    func windowOn() {
        // Given the window rule
        var ledger = ledger(SandboxRules(windowRule: true))

        // When text goes out before the user wrote, in both APIs, and a template too
        let cloud = ledger.handle(attempt(), now: at(0))
        let onPremise = ledger.handle(attempt(api: .onpremise), now: at(1))
        let template = code(ledger.handle(attempt(type: "template"), now: at(2)))

        // Then the text is refused with each API's code, the template passes
        let details = "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
        #expect(cloud.outcome == .apiError(status: 400, code: 131047, details: details, retryAfterSeconds: nil))
        #expect(onPremise.outcome == .apiError(status: 400, code: 470, details: details, retryAfterSeconds: nil))
        #expect(template == 0)

        // When the user writes, text passes until just before 24 h later
        ledger.noteInbound(key: "key-1", from: "+49 151 12345678", now: at(10_000))
        #expect(code(ledger.handle(attempt(), now: at(10_000))) == 0)
        #expect(code(ledger.handle(attempt(), now: at(10_000 + 86_400_000 - 1))) == 0)

        // Then at 24 h it is closed again
        #expect(code(ledger.handle(attempt(), now: at(10_000 + 86_400_000))) == 131047)
        #expect(ledger.stats(key: "key-1")?.windowViolations == 3)
        #expect(ledger.stats().windowViolations == 3)
    }

    @Test("the window is per key and user: a message to another key's number opens nothing here")
    func windowPerKey() {
        var ledger = ledger(SandboxRules(windowRule: true))
        ledger.noteInbound(key: "key-2", from: "+4915112345678", now: at(0))
        ledger.noteInbound(key: "key-1", from: "+4915187654321", now: at(0))
        #expect(code(ledger.handle(attempt(key: "key-1"), now: at(1))) == 131047)
        #expect(code(ledger.handle(attempt(key: "key-2"), now: at(1))) == 0)
    }

    @Test("a later inbound message renews the window; reset closes it")
    func windowRenewAndReset() {
        var ledger = ledger(SandboxRules(windowRule: true, windowSeconds: 60))
        ledger.noteInbound(key: "key-1", from: "+4915112345678", now: at(0))
        ledger.noteInbound(key: "key-1", from: "+4915112345678", now: at(50_000))
        #expect(code(ledger.handle(attempt(), now: at(100_000))) == 0)
        ledger.reset()
        #expect(code(ledger.handle(attempt(), now: at(100_001))) == 131047)
    }

    // MARK: Throughput

    @Test("the rules' messages per second limit keys without their own; a key's own limit wins")
    func throughputDefault() {
        // Given a default of 2 per second and a key with its own 3
        var ledger = ledger(SandboxRules(messagesPerSecond: 2), keys: ["key-1": SandboxKey(), "key-3": SandboxKey(messagesPerSecond: 3)])

        // When each key sends 4 in one instant, then one a second later
        let one = (0..<4).map { code(ledger.handle(attempt(to: "+491510000000\($0)", key: "key-1"), now: at(0))) }
        let three = (0..<4).map { code(ledger.handle(attempt(to: "+491510000000\($0)", key: "key-3"), now: at(0))) }
        let later = code(ledger.handle(attempt(key: "key-1"), now: at(1_000)))

        // Then each is held to its limit in any one-second window
        #expect(one == [0, 0, 130429, 130429])
        #expect(three == [0, 0, 0, 130429])
        #expect(later == 0)
        let stats = ledger.stats(key: "key-1")
        #expect(stats?.throughputViolations == 2)
        #expect(stats?.maxAcceptedPerSecond == 2)
        #expect(stats?.maxRequestsPerSecond == 4)
        #expect(stats?.messagesPerSecond == 2)
        #expect(ledger.stats(key: "key-3")?.messagesPerSecond == 3)
        #expect(ledger.stats().throughputViolations == 3)
    }

    @Test("no window of one second ever holds more accepted messages than the limit, at any spacing")
    func throughputAnyWindow() {
        // Given a limit of 5 and requests at an uneven spacing over 10 s
        var ledger = ledger(SandboxRules(messagesPerSecond: 5))
        var accepted: [Int] = []
        var t = 0
        var step = 0
        while t < 10_000 {
            if code(ledger.handle(attempt(to: "+49151000\(10_000 + t)"), now: at(t))) == 0 { accepted.append(t) }
            step = (step * 7 + 3) % 11
            t += 20 + step * 23
        }
        // Then every window (t - 1 s, t] ending at an accepted message holds at most 5
        var lo = 0
        var worst = 0
        for hi in accepted.indices {
            while accepted[hi] - accepted[lo] >= 1_000 { lo += 1 }
            worst = max(worst, hi - lo + 1)
        }
        #expect(worst == 5)
        #expect(ledger.stats(key: "key-1")?.maxAcceptedPerSecond == 5)
        #expect((ledger.stats(key: "key-1")?.throughputViolations ?? 0) > 0)
    }

    @Test("a clock that steps back does not reopen the window")
    func clockStepsBack() {
        var ledger = ledger(SandboxRules(messagesPerSecond: 1))
        #expect(code(ledger.handle(attempt(), now: at(5_000))) == 0)
        #expect(code(ledger.handle(attempt(to: "+4915100000001"), now: at(3_000))) == 130429)
    }

    @Test("checks run in order: throughput, then window, then pair")
    func order() {
        var ledger = ledger(SandboxRules(pairLimit: true, windowRule: true, messagesPerSecond: 1))
        ledger.noteInbound(key: "key-1", from: "+4915112345678", now: at(0))
        #expect(code(ledger.handle(attempt(), now: at(0))) == 0)
        #expect(code(ledger.handle(attempt(), now: at(1))) == 130429)
        #expect(code(ledger.handle(attempt(to: "+4915187654321"), now: at(1_000))) == 131047)
        #expect(code(ledger.handle(attempt(), now: at(1_001))) == 131056)
    }
}
