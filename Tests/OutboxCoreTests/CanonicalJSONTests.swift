import Testing
@testable import OutboxCore

/// Stored payloads are compared with the canonical text of a new submission (idempotency:
/// same key and same content is a duplicate, else a conflict), and import row keys hash it.
/// So the writer's output must stay byte for byte what the first writer produced: these
/// tests hold it to a copy of that writer.
@Suite("Canonical JSON")
struct CanonicalJSONTests {
    /// The writer as first shipped (appending to a `String` scalar by scalar): the reference.
    static func reference(_ v: JSONValue) -> String {
        var out = ""
        func escaped(_ s: String) {
            out += "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out.unicodeScalars.append(scalar)
                }
            }
            out += "\""
        }
        func write(_ v: JSONValue) {
            switch v {
            case .null: out += "null"
            case .bool(let b): out += b ? "true" : "false"
            case .int(let i): out += String(i)
            case .double(let d):
                if d.isFinite, d == d.rounded(), abs(d) < 1e15 { out += String(Int64(d)) } else { out += d.isFinite ? "\(d)" : "null" }
            case .string(let s): escaped(s)
            case .array(let a):
                out += "["
                for (i, x) in a.enumerated() {
                    if i > 0 { out += "," }
                    write(x)
                }
                out += "]"
            case .object(let o):
                out += "{"
                for (i, key) in o.keys.sorted().enumerated() {
                    if i > 0 { out += "," }
                    escaped(key)
                    out += ":"
                    write(o[key]!)
                }
                out += "}"
            }
        }
        write(v)
        return out
    }

    static let awkwardStrings = [
        "", "plain", "quote \" back \\ slash /", "nl \n cr \r tab \t", "bell \u{07} nul \u{00} us \u{1F} del \u{7F}",
        "é ß 中文 🙂 👩‍👩‍👧 e\u{301}", "\u{2028}\u{2029}", String(repeating: "long ", count: 300) + "\"",
    ]

    @Test("matches the first writer byte for byte, escapes, numbers and key order included")
    func sameAsReference() {
        var values: [JSONValue] = [
            .null, .bool(true), .bool(false), .int(0), .int(-9_223_372_036_854_775_808), .int(Int64.max),
            .double(2.5), .double(4), .double(-0.0), .double(1e15), .double(1e300), .double(.nan), .double(.infinity), .double(0.1),
            .array([]), .object([:]),
        ]
        values += Self.awkwardStrings.map { .string($0) }
        values.append(.object(Dictionary(uniqueKeysWithValues: Self.awkwardStrings.enumerated().map { ($1, .int(Int64($0))) })))
        values.append(.object(["b": .int(1), "a": .object(["d": .string("x\ny"), "c": .array([.bool(true), .null, .double(2.5)])]),
                               "B": .null, "é": .string("z"), "e": .string("y"), "a1": .array([.object(["z": .null, "y": .int(1)])])]))
        for v in values {
            #expect(v.canonicalBytes == Array(Self.reference(v).utf8), "\(v)")
            #expect(v.canonicalText == Self.reference(v))
        }
    }

    @Test("matches the first writer on random documents")
    func randomDocuments() {
        var rng = SplitMix(seed: 42)
        let pieces = ["a", "b", "\"", "\\", "\n", "\u{01}", "é", "🙂", " ", "Z", "_", "\u{1F}", "\t"]
        func string() -> String { (0..<Int.random(in: 0...6, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined() }
        func value(_ depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &rng) {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &rng))
            case 2: return .int(Int64.random(in: -1_000_000...1_000_000, using: &rng))
            case 3: return .double(Double.random(in: -1e6...1e6, using: &rng))
            case 4: return .string(string())
            case 5: return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in value(depth + 1) })
            default: return .object(Dictionary((0..<Int.random(in: 0...5, using: &rng)).map { _ in (string(), value(depth + 1)) }, uniquingKeysWith: { a, _ in a }))
            }
        }
        for _ in 0..<2_000 {
            let v = value(0)
            #expect(v.canonicalBytes == Array(Self.reference(v).utf8), "\(v)")
        }
    }

    @Test("the text helpers escape as the byte writer does")
    func textHelpers() {
        for s in Self.awkwardStrings {
            var text = ""
            JSONValue.writeString(s, to: &text)
            var bytes: [UInt8] = []
            JSONValue.writeString(s, into: &bytes)
            #expect(Array(text.utf8) == bytes)
            #expect(text == Self.reference(.string(s)))
        }
    }
}

/// A seeded generator, so the random documents are the same on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
