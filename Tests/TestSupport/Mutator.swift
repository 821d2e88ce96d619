/// Mutates inputs the way a fuzzer does, from a seed, so a run is repeatable: bit flips,
/// byte insertions and deletions, repeated and spliced ranges, and tokens that break parsers
/// (quotes, brackets, huge numbers, far-future times, control characters, invalid UTF-8).
/// Used by the in-suite fuzz runs and the hostile end-to-end test; `scripts/fuzz` runs the
/// same targets under libFuzzer's own mutator.
public struct Mutator: Sendable {
    /// SplitMix64: tiny, fast, and the same sequence on every machine.
    public struct RNG: RandomNumberGenerator, Sendable {
        var state: UInt64
        public init(seed: UInt64) { state = seed }
        public mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    public var rng: RNG
    /// Inputs to splice from.
    public let corpus: [[UInt8]]

    public init(seed: UInt64, corpus: [[UInt8]]) {
        rng = RNG(seed: seed)
        self.corpus = corpus
    }

    /// Tokens that have broken parsers before, or could.
    public static let tokens: [[UInt8]] = [
        "\"", "\\", "{", "}", "[", "]", ",", ":", "\n", "\r\n", "\r", "\"\"", "\u{0}", "\t", " ",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999", "1e400", "-1e400",
        "1e-400", "NaN", "nan", "inf", "-0", "0.0000001", "null", "true", "[]", "{}",
        "\"2300-01-01T00:00:00Z\"", "\"9999-12-31T23:59:59Z\"", "\"0000-01-01T00:00:00Z\"", "\"2026-02-30T25:61:61+99:99\"",
        "\"9223372036854775\"", "\"-9223372036854775\"", "\\ud800", "\\udc00", "\\u0000", "\\uFFFF",
        "\"not_before\":", "\"expires_at\":", "\"timestamp\":", "\"message\":", "\"type\":\"template\"", "\"to\":\"+4915112345678\"",
        "\"latitude\":\"nan\"", "\"channel\":\"main\"", "\"statuses\":[", "\"messages\":[", "\"entry\":[",
    ].map { Array($0.utf8) } + [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xEF, 0xBB, 0xBF], [0xF4, 0x90, 0x80, 0x80]]

    /// One to `maxSteps` mutations of `input`, the result at most `maxBytes` long.
    public mutating func mutate(_ input: [UInt8], maxSteps: Int = 4, maxBytes: Int = 64 << 10) -> [UInt8] {
        var b = input
        for _ in 0..<Int.random(in: 1...maxSteps, using: &rng) {
            let at = b.isEmpty ? 0 : Int.random(in: 0...b.count, using: &rng)
            switch Int.random(in: 0..<9, using: &rng) {
            case 0 where !b.isEmpty:  // flip a bit
                let i = Int.random(in: 0..<b.count, using: &rng)
                b[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 1:  // a random byte
                b.insert(UInt8.random(in: 0...255, using: &rng), at: at)
            case 2 where !b.isEmpty:  // delete a range
                let i = Int.random(in: 0..<b.count, using: &rng)
                b.removeSubrange(i..<min(b.count, i + Int.random(in: 1...16, using: &rng)))
            case 3 where !b.isEmpty:  // repeat a range
                let i = Int.random(in: 0..<b.count, using: &rng)
                let piece = b[i..<min(b.count, i + Int.random(in: 1...32, using: &rng))]
                b.insert(contentsOf: Array(repeating: Array(piece), count: Int.random(in: 1...8, using: &rng)).joined(), at: at)
            case 4, 5:  // a token
                b.insert(contentsOf: Self.tokens[Int.random(in: 0..<Self.tokens.count, using: &rng)], at: at)
            case 6 where !corpus.isEmpty:  // splice another input
                let other = corpus[Int.random(in: 0..<corpus.count, using: &rng)]
                if !other.isEmpty {
                    let from = Int.random(in: 0..<other.count, using: &rng)
                    b.insert(contentsOf: other[from..<min(other.count, from + Int.random(in: 1...256, using: &rng))], at: at)
                }
            case 7 where !b.isEmpty:  // replace a digit run's digit, so numbers grow or break
                if let i = b.indices.filter({ (48...57).contains(b[$0]) }).randomElement(using: &rng) {
                    b[i] = UInt8.random(in: 48...57, using: &rng)
                    b.insert(contentsOf: Array(repeating: UInt8(57), count: Int.random(in: 0...20, using: &rng)), at: i)
                }
            default:  // truncate
                if !b.isEmpty { b.removeSubrange(Int.random(in: 0..<b.count, using: &rng)...) }
            }
            if b.count > maxBytes { b.removeSubrange(maxBytes...) }
        }
        return b
    }
}
