import OutboxCore
import Testing

/// A deterministic generator for jitter.
struct SeededRNG: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Retry policy")
struct RetryPolicyTests {
    var policy: RetryPolicy {
        var p = RetryPolicy()
        p.baseDelayMillis = 1_000
        p.maxDelayMillis = 300_000
        p.maxAttempts = 5
        p.maxAgeMillis = 3_600_000
        return p
    }

    @Test("backoff doubles per attempt, with full jitter under the ceiling")
    func backoffCeiling() {
        var rng = SeededRNG(state: 1)
        for failures in 1...12 {
            let ceiling = min(300_000, 1_000 << Int64(failures - 1))
            var seenHigh = false
            for _ in 0..<200 {
                let d = policy.backoffMillis(failures: failures, using: &rng)
                #expect(d >= 0 && d <= ceiling)
                if d > ceiling / 2 { seenHigh = true }
            }
            #expect(seenHigh)
        }
    }

    @Test("a permanent error fails at once")
    func permanent() {
        var rng = SeededRNG(state: 2)
        let f = APIFailure(httpStatus: 400, code: 131026, title: "Message undeliverable", details: nil)
        let d = SendDecision.after(.failed(f, .permanent, retryAfterMillis: nil), history: .init(counted: 1), createdMillis: 0, nowMillis: 10, policy: policy, rng: &rng)
        #expect(d == .fail(reason: "131026 Message undeliverable (HTTP 400)"))
    }

    @Test("a retryable error retries until max_attempts, then fails")
    func retryThenFail() {
        var rng = SeededRNG(state: 3)
        let f = APIFailure(httpStatus: 500, code: nil, title: "Internal Server Error", details: nil)
        let r = SendResult.failed(f, .retry, retryAfterMillis: nil)
        guard case .retry(let due) = SendDecision.after(r, history: .init(counted: 4), createdMillis: 0, nowMillis: 100, policy: policy, rng: &rng) else {
            Issue.record("expected a retry")
            return
        }
        #expect(due >= 100 && due <= 100 + 8_000)
        let last = SendDecision.after(r, history: .init(counted: 5), createdMillis: 0, nowMillis: 100, policy: policy, rng: &rng)
        guard case .fail(let reason) = last else {
            Issue.record("expected a failure")
            return
        }
        #expect(reason.contains("gave up after 5 attempts"))
    }

    @Test("Retry-After wins over the backoff")
    func retryAfter() {
        var rng = SeededRNG(state: 4)
        let f = APIFailure(httpStatus: 429, code: nil, title: nil, details: nil)
        let d = SendDecision.after(.failed(f, .retrySlow, retryAfterMillis: 7_000), history: .init(counted: 0, rateLimited: 1), createdMillis: 0, nowMillis: 1_000, policy: policy, rng: &rng)
        #expect(d == .retry(dueMillis: 8_000))
    }

    @Test("rate limits do not use up max_attempts")
    func rateLimitsDoNotCount() {
        var rng = SeededRNG(state: 5)
        let f = APIFailure(httpStatus: 400, code: 130429, title: "Rate limit hit", details: nil)
        let d = SendDecision.after(.failed(f, .retrySlow, retryAfterMillis: nil), history: .init(counted: 5, rateLimited: 30), createdMillis: 0, nowMillis: 1_000, policy: policy, rng: &rng)
        guard case .retry(let due) = d else {
            Issue.record("expected a retry, got \(d)")
            return
        }
        #expect(due >= 1_000 + 30_000 && due <= 1_000 + 60_000)
    }

    @Test("the pair limit backs off 4^X seconds")
    func pairBackoff() {
        #expect((1...5).map { SendDecision.pairBackoffMillis(failures: $0) } == [1_000, 4_000, 16_000, 64_000, 256_000])
    }

    @Test("a message too old to retry fails")
    func maxAge() {
        var rng = SeededRNG(state: 6)
        let f = APIFailure(httpStatus: 503, code: nil, title: nil, details: nil)
        let d = SendDecision.after(.failed(f, .retry, retryAfterMillis: 10_000), history: .init(counted: 1), createdMillis: 0, nowMillis: 3_595_000, policy: policy, rng: &rng)
        guard case .fail(let reason) = d else {
            Issue.record("expected a failure")
            return
        }
        #expect(reason.contains("too old"))
    }

    @Test("a channel error pauses the channel; maintenance pauses it for a minute only")
    func channelPause() {
        var rng = SeededRNG(state: 7)
        let key = APIFailure(httpStatus: 401, code: nil, title: "Unauthorized", details: "Invalid api_key")
        #expect(SendDecision.after(.failed(key, .channel, retryAfterMillis: nil), history: .init(), createdMillis: 0, nowMillis: 5, policy: policy, rng: &rng)
            == .pauseChannel(reason: "Unauthorized: Invalid api_key (HTTP 401)", untilMillis: nil))
        let maintenance = APIFailure(httpStatus: 400, code: 131057, title: "Account in maintenance mode", details: nil)
        #expect(SendDecision.after(.failed(maintenance, ErrorMeaning(.channel, [.channelBlocked(liftsAfterMillis: 60_000)]), retryAfterMillis: nil), history: .init(), createdMillis: 0, nowMillis: 5, policy: policy, rng: &rng)
            == .pauseChannel(reason: "131057 Account in maintenance mode (HTTP 400)", untilMillis: 60_005))
    }

    @Test("an unknown outcome waits for a status")
    func unknownOutcome() {
        var rng = SeededRNG(state: 8)
        var p = policy
        p.unknownOutcomeWaitMillis = 120_000
        #expect(SendDecision.after(.unknown(detail: "timeout"), history: .init(counted: 1), createdMillis: 0, nowMillis: 5, policy: p, rng: &rng)
            == .awaitSettlement(untilMillis: 120_005))
    }

    @Test("attempt history counts errors and rate limits apart")
    func history() {
        let h = AttemptHistory().adding(.retryableError).adding(.rateLimited).adding(.channelError).adding(.unknownOutcome)
        #expect(h == AttemptHistory(counted: 2, rateLimited: 1))
    }
}
