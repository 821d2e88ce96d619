import Foundation
import Testing
import TestSupport

/// A short, deterministic fuzz run inside the suite: the committed seed corpus
/// (`Tests/Fuzz/corpus/TARGET/`, which also seeds `scripts/fuzz`'s libFuzzer campaigns) and
/// a few thousand seeded mutations of it through each parser. Any trap fails the whole run;
/// a broken promise fails the test with the input that broke it.
@Suite("Fuzz: parsers of outside input")
struct FuzzTests {
    static let corpusRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus")

    /// The seed inputs of one target.
    static func corpus(_ target: String) throws -> [[UInt8]] {
        let folder = corpusRoot.appendingPathComponent(target)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        return try names.map { Array(try Data(contentsOf: folder.appendingPathComponent($0))) }
    }

    /// How many mutations each target gets: enough to cross every branch the corpus reaches,
    /// few enough for a second or two.
    static let mutations = ["json": 6_000, "submission": 10_000, "webhook": 6_000, "csv": 1_500]

    @Test("seed corpus and seeded mutations never trap and keep every parser's promises", arguments: FuzzTargets.names)
    func target(_ name: String) throws {
        let seeds = try Self.corpus(name)
        #expect(seeds.count >= 5, "the corpus of \(name) is too small to fuzz from")
        for seed in seeds {
            if let broken = FuzzTargets.run(name, seed) { Issue.record("\(name) seed: \(broken)") }
        }
        var mutator = Mutator(seed: 0x12A_F022 ^ UInt64(name.utf8.count), corpus: seeds)
        var failures = 0
        for i in 0..<(Self.mutations[name] ?? 1000) {
            let input = mutator.mutate(seeds[i % seeds.count], maxSteps: 6, maxBytes: name == "csv" ? 8 << 10 : 16 << 10)
            if let broken = FuzzTargets.run(name, input), failures < 5 {
                failures += 1
                Issue.record("\(name) mutation \(i): \(broken); input (base64): \(Data(input).base64EncodedString())")
            }
        }
    }

    @Test("inputs that once broke a parser stay fixed", arguments: [
        ("json", #"{"a":1,"a":2}"#), ("json", "[1e400]"), ("json", #"{"caf\u00e9":1,"cafe\u0301":2}"#),
        ("submission", #"{"channel":"main","to":"+4915112345678","message":{"type":"text","text":{"body":"x"}},"not_before":"2300-01-01T00:00:00Z"}"#),
        ("submission", #"{"channel":"main","to":"+4915112345678","message":{"type":"location","location":{"latitude":"nan","longitude":1}}}"#),
        ("webhook", #"{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[{"from":"4915112345678","id":"x","timestamp":"9223372036854775","type":"text","text":{"body":"hi"}}]}}]}]}"#),
        ("webhook", #"{"statuses":[{"id":"w","status":"read","timestamp":-9223372036854775}]}"#),
        ("csv", "to,text\n+4915112345678,\"never closed\n+4915112345679,hi\n"),
    ])
    func regressions(_ name: String, _ input: String) {
        #expect(FuzzTargets.run(name, Array(input.utf8)) == nil)
    }
}
