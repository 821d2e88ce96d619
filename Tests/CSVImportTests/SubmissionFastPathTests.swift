import Foundation
import OutboxAPI
import OutboxCore
import PropertyBased
import Testing

/// `SubmissionParser.parseFast` (the line read in place, the payload written straight) held to
/// the slow path (`decode`, the JSON tree, `parse`, `MessageValidator`, canonical text) on
/// random NDJSON lines, clean and hostile: for every line the fast path answers, the very
/// submission the slow path makes, byte for byte; every line it leaves gets the slow path's
/// answer, error and all; and it leaves no line made only of the shapes it knows that the
/// slow path accepts.
@Suite("NDJSON lines: the fast path gives what the slow path gives")
struct SubmissionFastPathTests {
    static let now: Int64 = 1_800_000_000_000
    static let channels: Set<String> = ["main", "other"]

    @Test("random lines (a fixed seed): same submission byte for byte, or the slow path's own answer")
    func fastMatchesSlow() {
        let tally = Tally()
        var maker = LineMaker(r: Rand(rng: Xoshiro(seed: (0x5EED_0001, 0x0DD1_0E5, 0xBA7C_4ED, 0x1_000))))
        for _ in 0..<6000 {
            Self.compare(maker.line(), tally: tally)
        }
        let (fast, accepted) = tally.counts
        print("fast path: \(fast) of \(accepted) accepted lines")
        #expect(accepted > 1200, "the generated lines are accepted often enough to test anything (\(accepted))")
        #expect(fast * 10 >= accepted * 6, "the fast path answered \(fast) of \(accepted) accepted lines")
    }

    @Test("the bench's line and the documented examples take the fast path")
    func commonLines() {
        let lines = [
            #"{"channel":"main","to":"+4915100000001","message":{"type":"text","text":{"body":"Your order 1 has shipped"}},"not_before":"2027-01-01T00:00:00Z"}"#,
            #"{"channel":"main","to":"+4915112345678","idempotency_key":"order-7","priority":"high","message":{"type":"template","template":{"name":"order_update","language":{"code":"en_US"},"components":[{"type":"body","parameters":[{"type":"text","text":"Ana"},{"type":"text","text":"No. 7"}]}]}}}"#,
            "{ \"channel\" : \"other\" , \"recipient\" : \"US.13491208655302741918\" , \"message\" : { \"text\" : { \"preview_url\" : true , \"body\" : \"Gr\\u00fc\\u00dfe \\ud83d\\udc4d \\\"hi\\\"\\n\" } , \"type\" : \"text\" } , \"expires_at\" : null }\r",
        ]
        for line in lines {
            let bytes = Array(line.utf8)
            #expect(bytes.withUnsafeBufferPointer { SubmissionParser.parseFast($0, channels: Self.channels, nowMillis: Self.now) } != nil, "\(line)")
            Self.compare(Line(bytes: bytes, plain: true), tally: Tally())
        }
    }

    static func compare(_ line: Line, tally: Tally) {
        let fast = line.bytes.withUnsafeBufferPointer { SubmissionParser.parseFast($0, channels: channels, nowMillis: now) }
        let slow = Result { () throws(APIErrorBody) -> Submission in
            try SubmissionParser.parse(try SubmissionParser.decode(line.bytes[...]), channels: channels, nowMillis: now)
        }
        let full = Result { () throws(APIErrorBody) -> Submission in try SubmissionParser.parse(line: line.bytes[...], channels: channels, nowMillis: now) }
        let context = Comment(rawValue: "line \(String(decoding: line.bytes, as: UTF8.self).debugDescription) \(line.bytes.prefix(400))")
        switch (fast, slow) {
        case (nil, .failure(let error)):
            #expect(full.failure == error, "the combined parser gives the slow path's error: \(context)")
        case (nil, .success(let s)):
            tally.add(fast: false)
            #expect(full.success.map { same($0, s) } == true, context)
            #expect(!line.plain, "the fast path left a plain line the slow path accepts: \(context)")
        case (let f?, .failure(let error)):
            Issue.record("the fast path accepted a line the slow path refuses (\(error.error.message)): \(f.payload) \(context)")
        case (let f?, .success(let s)):
            tally.add(fast: true)
            #expect(same(f, s), "fast \(f.payload) slow \(s.payload) \(context)")
            #expect(f.message == s.message, "the payload reads back as the slow path's tree: \(context)")
            #expect(full.success.map { same($0, f) } == true, context)
        }
    }

    /// Equal as the store sees them, every string compared as bytes (Swift's `==` would let
    /// canonically equivalent spellings pass).
    static func same(_ a: Submission, _ b: Submission) -> Bool {
        func bytes(_ s: String?) -> [UInt8]? { s.map { Array($0.utf8) } }
        return a == b && bytes(a.payload) == bytes(b.payload) && bytes(a.channel) == bytes(b.channel)
            && bytes(a.recipient.e164) == bytes(b.recipient.e164) && bytes(a.idempotencyKey) == bytes(b.idempotencyKey)
            && bytes(a.importID) == bytes(b.importID) && bytes(a.messageType) == bytes(b.messageType)
            && bytes(a.templateName) == bytes(b.templateName) && bytes(a.templateLanguage) == bytes(b.templateLanguage)
            && a.priority == b.priority && a.notBeforeMillis == b.notBeforeMillis && a.expiresAtMillis == b.expiresAtMillis
    }

    /// One line, and whether it was made only of what the fast path knows (then, if the slow
    /// path accepts it, the fast path must too).
    struct Line: Sendable, CustomStringConvertible {
        var bytes: [UInt8]
        var plain: Bool
        var description: String { String(decoding: bytes, as: UTF8.self).debugDescription }
    }
}
