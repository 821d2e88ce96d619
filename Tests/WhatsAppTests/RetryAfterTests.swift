import OutboxCore
import Testing
@testable import WhatsApp

/// `Retry-After` from any upstream (a proxy, a misconfigured base_url) is parsed without
/// trapping; the retry policy then caps it by max_delay (red-team 3).
@Suite("Retry-After parsing")
struct RetryAfterTests {
    @Test("huge, infinite and odd values pin or are ignored; they never trap", arguments: [
        ("inf", Int64.max), ("Infinity", Int64.max), ("1e400", Int64.max), ("99999999999999999999", Int64.max),
        ("9223372036854775.807", Int64.max), ("3", 3_000), ("0.5", 500), (" 7 ", 7_000),
    ])
    func pinned(_ header: String, _ millis: Int64) {
        #expect(ResponseClassifier.parseRetryAfter(header, nowMillis: 0) == millis)
    }

    @Test("negative, NaN and unreadable values are no Retry-After", arguments: ["-1", "nan", "NaN", "-inf", "soon", ""])
    func ignored(_ header: String) {
        #expect(ResponseClassifier.parseRetryAfter(header, nowMillis: 0) == nil)
    }

    @Test("an HTTP date far away or long past gives a wait, not a trap")
    func dates() {
        #expect(ResponseClassifier.parseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", nowMillis: 1_795_219_200_000)! > 0)
        #expect(ResponseClassifier.parseRetryAfter("Thu, 01 Jan 1970 00:00:00 GMT", nowMillis: 1_795_219_200_000) == 0)
        #expect(ResponseClassifier.parseRetryAfter("Thu, 01 Jan 1970 00:00:00 GMT", nowMillis: .max) == 0)
    }

    @Test("a 429 with Retry-After: 1e400 classifies as a slow retry")
    func classify() {
        let result = ResponseClassifier.classify(status: 429, body: Array(#"{"error":{"code":130429,"message":"(#130429) Rate limit hit"}}"#.utf8),
                                                 retryAfter: "1e400", api: .cloud, nowMillis: 0)
        guard case .failed(_, _, let after) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(after == .max)
    }
}
