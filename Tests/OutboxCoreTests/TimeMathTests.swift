import OutboxCore
import Testing

/// Time arithmetic pins instead of trapping, and times from outside are bounded where they
/// enter (issue 12 point 1; red-team findings 1 to 4).
@Suite("Time bounds")
struct TimeMathTests {
    let now: Int64 = 1_795_219_200_000  // 2026-11-21
    /// 9999-12-31T23:59:59.999Z, the latest time RFC 3339 can write.
    let lastRFC3339: Int64 = 253_402_300_799_999

    @Test("adds, subtracts and multiplies pin at the ends of Int64")
    func saturating() {
        #expect(TimeMath.add(.max, 1) == .max)
        #expect(TimeMath.add(.min, -1) == .min)
        #expect(TimeMath.add(.max, .min) == -1)
        #expect(TimeMath.add(40, 2) == 42)
        #expect(TimeMath.subtract(.min, 1) == .min)
        #expect(TimeMath.subtract(.max, -1) == .max)
        #expect(TimeMath.subtract(0, .min) == .max)
        #expect(TimeMath.multiply(.max, 2) == .max)
        #expect(TimeMath.multiply(.min, 2) == .min)
        #expect(TimeMath.multiply(.min, -1) == .max)
        #expect(TimeMath.multiply(-3, 4) == -12)
    }

    @Test("milliseconds past 2262 are 'never' in nanoseconds, not a trap")
    func nanos() {
        #expect(TimeMath.nanos(millis: lastRFC3339) == .max)
        #expect(TimeMath.nanos(millis: .max) == .max)
        #expect(TimeMath.nanos(millis: .min) == .min)
        #expect(TimeMath.nanos(millis: now) == now * 1_000_000)
        #expect(TimeMath.millis(nanos: .max) == Int64.max / 1_000_000)
        #expect(TimeMath.millis(seconds: 9_223_372_036_854_776) == .max)
    }

    @Test("Double to Int64: NaN is no number, infinity and huge values pin")
    func doubles() {
        #expect(TimeMath.int64(.nan) == nil)
        #expect(TimeMath.int64(.infinity) == .max)
        #expect(TimeMath.int64(-.infinity) == .min)
        #expect(TimeMath.int64(1e400) == .max)
        #expect(TimeMath.int64(9_223_372_036_854_775_807.0) == .max)  // rounds up to 2^63
        #expect(TimeMath.int64(-9_223_372_036_854_775_808.0) == .min)
        #expect(TimeMath.int64(1e17 * 1000) == .max)
        #expect(TimeMath.int64(2.5) == 3)
        #expect(TimeMath.int64(2.9, rounding: .down) == 2)
    }

    @Test("durations of any size parse without trapping; the config's ranges refuse them")
    func durations() {
        #expect(DurationText.milliseconds("1e17s") == .max)
        #expect(DurationText.milliseconds("99999999999d").map { $0 > 8_639_999_999_000_000_000 && $0 < .max } == true)
        #expect(DurationText.milliseconds("1e300d") == .max)
        #expect(DurationText.milliseconds("infs") == nil)
        #expect(DurationText.milliseconds("nans") == nil)
        #expect(DurationText.milliseconds("-5s") == nil)
        #expect(DurationText.format(milliseconds: .max) == "\(Int64.max)ms")
    }

    @Test("RFC 3339 formats every Int64 without trapping")
    func formatting() {
        for t in [Int64.max, .min, .min + 1, 0, -1, lastRFC3339] { _ = RFC3339.format(millis: t) }
        #expect(RFC3339.format(millis: lastRFC3339) == "9999-12-31T23:59:59.999Z")
        #expect(RFC3339.parse("9999-12-31T23:59:59.999Z") == lastRFC3339)
        #expect(RFC3339.parse("0000-01-01T00:00:00-23:59") != nil)
    }

    @Test("the 24-hour window holds at Int64.max and Int64.min")
    func window() {
        let rules = RecipientRules()
        #expect(!rules.windowOpen(RecipientState(lastInboundMillis: .max), nowMillis: now), "a time in the future opens nothing")
        #expect(!rules.windowOpen(RecipientState(lastInboundMillis: now + 2 * 86_400_000), nowMillis: now))
        #expect(rules.windowOpen(RecipientState(lastInboundMillis: now + 3_600_000), nowMillis: now), "clock skew is allowed")
        #expect(!rules.windowOpen(RecipientState(lastInboundMillis: .min), nowMillis: now))
        #expect(!rules.windowOpen(RecipientState(lastInboundMillis: now - 86_400_000), nowMillis: now))
        _ = rules.verdict(type: "text", recipient: RecipientState(lastInboundMillis: .max, nextSendMillis: .max), nowMillis: .max)
    }

    @Test("not_before and expires_at beyond the horizon are refused naming the field", arguments: [
        ("not_before", "2300-01-01T00:00:00Z"), ("not_before", "9999-12-31T23:59:59Z"), ("expires_at", "9999-12-31T23:59:59Z"),
        ("not_before", "2027-11-23T00:00:00Z"),
    ])
    func horizon(_ field: String, _ time: String) throws {
        let t = try #require(RFC3339.parse(time))
        let message: JSONValue = .object(["type": .string("text"), "text": .object(["body": .string("hi")])])
        #expect(throws: ValidationError.self) {
            try Submission(channel: "main", to: "+4915112345678", message: message,
                           notBeforeMillis: field == "not_before" ? t : nil, expiresAtMillis: field == "expires_at" ? t : nil, nowMillis: now)
        }
        do {
            _ = try Submission(channel: "main", to: "+4915112345678", message: message,
                               notBeforeMillis: field == "not_before" ? t : nil, expiresAtMillis: field == "expires_at" ? t : nil, nowMillis: now)
        } catch {
            #expect(error.field == field)
            #expect(error.message.contains("366 days"))
        }
        // A year ahead is still fine; a time long past is "now".
        let inside = try Submission(channel: "main", to: "+4915112345678", message: message,
                                    notBeforeMillis: now + 365 * 86_400_000, expiresAtMillis: now + 366 * 86_400_000, nowMillis: now)
        #expect(inside.notBeforeMillis == now + 365 * 86_400_000)
        _ = try Submission(channel: "main", to: "+4915112345678", message: message, notBeforeMillis: .min, nowMillis: now)
    }

    @Test("a webhook timestamp far ahead is taken as now; an old one stays")
    func webhookTimestamps() {
        #expect(TimeBounds.webhookTimestamp(9_223_372_036_854_775_000, nowMillis: now) == now)
        #expect(TimeBounds.webhookTimestamp(.max, nowMillis: now) == now)
        #expect(TimeBounds.webhookTimestamp(now + 3_600_000, nowMillis: now) == now + 3_600_000)
        #expect(TimeBounds.webhookTimestamp(.min, nowMillis: now) == .min)
        #expect(TimeBounds.webhookTimestamp(nil, nowMillis: now) == nil)
    }

    @Test("a Retry-After of any size is capped by max_delay, and the age limit still holds")
    func retryAfterCap() {
        var policy = RetryPolicy()
        policy.maxDelayMillis = 60_000
        var rng = SeededRNG(state: 9)
        let f = APIFailure(httpStatus: 429, code: nil, title: nil, details: nil)
        for retryAfter in [Int64.max, Int64.max - 1, 9_223_372_036_854_775, -5] {
            let d = SendDecision.after(.failed(f, .retrySlow, retryAfterMillis: retryAfter), history: .init(rateLimited: 1),
                                       createdMillis: now, nowMillis: now, policy: policy, rng: &rng)
            #expect(d == .retry(dueMillis: now + (retryAfter < 0 ? 0 : 60_000)))
        }
        // The end of time: a created time of Int64.min and now at Int64.max decide, they do not trap.
        _ = SendDecision.after(.failed(f, .retrySlow, retryAfterMillis: .max), history: .init(rateLimited: 1),
                               createdMillis: .min, nowMillis: .max, policy: policy, rng: &rng)
        _ = SendDecision.after(.unknown(detail: "x"), history: .init(), createdMillis: 0, nowMillis: .max, policy: policy, rng: &rng)
    }
}
