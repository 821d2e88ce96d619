import Foundation
import OutboxCore
import PropertyBased
import Testing
@testable import CSVImport

/// `RowMapper.checkFast` (the payload written straight, the validator's per-row checks made
/// directly) held to `checkSlow` (the message's tree, `SubmissionParser`, `MessageValidator`)
/// on random batches with hostile cells: for every row the fast path answers, the very
/// submission the slow path makes; every row it leaves is the slow path's, reason and all;
/// and it leaves none that the slow path accepts but for a line break in a field.
@Suite("Import rows: the fast path gives what the slow path gives")
struct RowMapperFastPathTests {
    static let now: Int64 = 1_800_000_000_000

    @Test("random batches: same submission byte for byte, or the slow path's own answer")
    func fastMatchesSlow() async {
        let tally = Tally()
        await propertyCheck(count: 400, input: Self.batches) { batch in
            let mapper = batch.mapper()
            for record in batch.records {
                compare(mapper, record, batch: batch, tally: tally)
            }
        }
        // The property means little if the fast path never answers: most valid rows take it.
        let (fast, accepted) = tally.counts
        print("fast path: \(fast) of \(accepted) accepted rows")
        #expect(accepted > 1000, "the generated rows are accepted often enough to test anything (\(accepted))")
        #expect(fast * 10 >= accepted * 6, "the fast path answered \(fast) of \(accepted) accepted rows")
    }

    func compare(_ mapper: RowMapper, _ record: CSVRecord, batch: Batch, tally: Tally) {
        let slow = mapper.checkSlow(record, nowMillis: Self.now)
        let fast = mapper.checkFast(record, nowMillis: Self.now)
        let full = mapper.check(record, nowMillis: Self.now)
        let context = Comment(rawValue: "\(batch)\nrow \(record.fields.map { String(decoding: $0, as: UTF8.self).debugDescription })")
        switch (fast, slow) {
        case (nil, .failure(let reason)):
            #expect(full.failure?.description == reason.description, context)
        case (nil, .success(let s)):
            tally.add(fast: false)
            #expect(full.success?.submission == s.submission, context)
            let plain = !record.fields.contains { $0.contains(0x0A) || $0.contains(0x0D) }
            #expect(mapper.fast == nil || !plain, "the fast path left a plain row the slow path accepts: \(context)")
        case (let f?, .failure(let reason)):
            Issue.record("the fast path accepted a row the slow path refuses (\(reason.description)): \(f.submission.payload) \(context)")
        case (let f?, .success(let s)):
            tally.add(fast: true)
            #expect(f.submission == s.submission, context)
            #expect(Array(f.submission.payload.utf8) == Array(s.submission.payload.utf8), context)
            #expect(f.submission.message == s.submission.message, "the payload reads back as the slow path's tree: \(context)")
            #expect(f.submission.idempotencyKey == s.submission.idempotencyKey && f.submission.templateName == s.submission.templateName
                    && f.submission.templateLanguage == s.submission.templateLanguage, context)
            #expect(f.notBefore == s.notBefore && f.expiresAt == s.expiresAt && f.priority == s.priority, context)
            #expect(RowMapper.line(f.submission, key: f.submission.idempotencyKey!, notBefore: f.notBefore, expiresAt: f.expiresAt, priority: f.priority)
                    == RowMapper.line(s.submission, key: s.submission.idempotencyKey!, notBefore: s.notBefore, expiresAt: s.expiresAt, priority: s.priority), context)
            #expect(full.success?.submission == s.submission, context)
            if s.submission.isTemplate {
                guard let shape = f.shape else { Issue.record("a template row without its shape: \(context)"); return }
                #expect(shape.message == Self.placeholders(s.submission.message), "the shape stands for the row's message: \(context)")
                for catalog in Self.catalogs {
                    #expect(TemplateCheck.check(shape.message, catalog: catalog) == TemplateCheck.check(s.submission.message, catalog: catalog), context)
                }
            } else {
                #expect(f.shape == nil, context)
            }
        }
    }

    /// A template message with every parameter's text replaced by `x`, as a shape's stand-in writes it.
    static func placeholders(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(var o):
            if o["type"] == .string("text"), o["text"] != nil, o.count == 2 { o["text"] = .string("x"); return .object(o) }
            return .object(o.mapValues(placeholders))
        case .array(let a): return .array(a.map(placeholders))
        default: return value
        }
    }

    /// Catalogs the shapes' verdicts are compared under: none synced, and templates that fit
    /// some shapes and not others (header, body counts, buttons, paused, named, marketing).
    static let catalogs: [TemplateCatalog] = [
        .empty,
        TemplateCatalog([
            TemplateSpec(name: "order_update", language: "en_US", category: "utility", status: "APPROVED", bodyParameters: 2),
            TemplateSpec(name: "order_update", language: "de", category: "marketing", status: "APPROVED", header: .init(format: "text", parameters: 1),
                         bodyParameters: 1, buttons: [.init(type: "url", parameters: 1), .init(type: "quick_reply", parameters: 0)]),
            TemplateSpec(name: "promo_2", language: "en_US", category: "marketing", status: "PAUSED", bodyNames: ["first_name"]),
        ], syncedMillis: now - 60_000),
    ]

    // MARK: - The batches

    /// One batch: its header and defaults, and its records.
    struct Batch: Sendable, CustomStringConvertible {
        var header: [String]
        var template: String?
        var language: String?
        var channel: String
        var byContent: Bool
        var records: [CSVRecord]

        func mapper() -> RowMapper {
            guard let columns = try? ImportColumns(header: header, template: template, language: language) else {
                // A header the columns refuse is refused before any row; stand in a plain one.
                return Batch(header: ["to", "text"], template: nil, language: nil, channel: channel, byContent: byContent, records: []).mapper()
            }
            var m = RowMapper(columns: columns, channel: channel, importID: "0123456789abcdef", template: template, language: language)
            if byContent { m.keys = .byContent }
            return m
        }

        var description: String {
            "header \(header) template \(template.debugDescription) language \(language.debugDescription) channel '\(channel)' byContent \(byContent)"
        }
    }

    static let batches = Generator<Batch, Shrink.None<Batch>> { rng in
        var r = Rand(rng: rng)
        defer { rng = r.rng }
        return r.batch()
    }
}

/// Rows accepted, and those the fast path answered, across a property run.
final class Tally: @unchecked Sendable {
    private var fast = 0, all = 0
    func add(fast isFast: Bool) {
        all += 1
        if isFast { fast += 1 }
    }
    var counts: (fast: Int, accepted: Int) { (fast, all) }
}

extension Result {
    var success: Success? { if case .success(let s) = self { s } else { nil } }
    var failure: Failure? { if case .failure(let f) = self { f } else { nil } }
}

/// Draws batches from the property checker's seeded generator (so a failing seed reproduces).
struct Rand {
    var rng: any SeededRandomNumberGenerator
    /// How often a cell is hostile, in percent: a batch is mostly clean or mostly not.
    var hostile = 10

    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
    mutating func pick<T>(_ options: [T]) -> T { options[int(0...(options.count - 1))] }

    mutating func batch() -> RowMapperFastPathTests.Batch {
        hostile = pick([2, 10, 10, 40])
        let isText = chance(25)
        var header = ["to"]
        var template: String?, language: String?
        if isText {
            header.append("text")
        } else {
            if chance(50) { header.append("header.1") }
            let bodies = pick([0, 1, 2, 2, 3, 5])
            header += (0..<bodies).map { "body.\($0 + 1)" }
            var buttons = Set<Int>()
            for _ in 0..<pick([0, 0, 1, 2]) { buttons.insert(pick([1, 2, 3, 10])) }
            header += buttons.sorted().map { "button.\($0)" }
            // Mostly the template from the command line, as the bench and most campaigns do.
            template = chance(95) ? (chance(90) ? pick(["order_update", "order_update", "promo_2", " order_update "])
                                                : pick(["Order", "a-b", String(repeating: "a", count: 513), String(repeating: "a", count: 512), ""])) : nil
            language = chance(95) ? (chance(90) ? pick(["en_US", "en_US", "de", "pt_BR", " en_US"])
                                                : pick([String(repeating: "e", count: 21), String(repeating: "ü", count: 20), "日本語", "\"q\"", ""])) : nil
            if template == nil || chance(5) { header.append("template") }
            if language == nil || chance(5) { header.append("language") }
        }
        for optional in ["idempotency_key", "priority", "not_before", "expires_at", "row", "reason"] where chance(30) { header.append(optional) }
        // Any column order; case and spaces in names do not matter.
        for i in header.indices.reversed() { header.swapAt(i, int(0...i)) }
        if chance(10) { header = header.map { chance(50) ? " \($0.uppercased())" : $0 } }
        let channel = chance(98) ? "main" : ""
        let count = int(1...12)
        let records = (0..<count).map { record(header, row: 2 + $0) }
        return .init(header: header, template: template, language: language, channel: channel, byContent: chance(10), records: records)
    }

    mutating func record(_ header: [String], row: Int) -> CSVRecord {
        var fields = header.map { cell(for: $0.trimmingCharacters(in: .whitespaces).lowercased()) }
        if chance(hostile / 5) { fields.removeLast() }
        if chance(hostile / 5) { fields.append(Array("extra".utf8)) }
        let problem = chance(hostile / 5) ? "a quote is never closed" : nil
        return CSVRecord(fields: fields, row: row, line: row, problem: problem)
    }

    mutating func cell(for column: String) -> [UInt8] {
        if chance(hostile / 10) { return pick([[0xFF], [0xC3], [0x41, 0xED, 0xA0, 0x80], [0xF0, 0x9F]]) }  // not UTF-8
        let text: String
        let plain = !chance(hostile)
        switch column {
        case "to" where plain: text = pick(["+4915112345678", "+49 151 1234 5678", "004915112345678", "+1 (555) 010-9999"])
        case "priority" where plain: text = pick(["", "", "high", "normal", "Bulk"])
        case "not_before" where plain: text = pick(["", "", "2027-06-01T10:00:00Z"])
        case "expires_at" where plain: text = pick(["", "", "2027-06-02T10:00:00Z"])
        case "idempotency_key" where plain: text = pick(["", "", "order-7", "k\\\"1"])
        case "template" where plain: text = pick(["", "order_update"])
        case "language" where plain: text = pick(["", "en_US"])
        case "to":
            text = pick(["+4915112345678", "+4915112345678", "0049 151 1234 5678", " +49 (151) 123-45678\t", "4915112345678", "+1 555 010 9999",
                         "", "abc", "+0151234567", "1234567", "+49151123456789012", "++4915112345678", "+٤٩١٥١١٢٣٤٥٦٧٨", "US.13491208655302741918"])
        case "priority":
            text = pick(["", "", "high", " High ", "BULK", "normal", "urgent", "hİgh", "\tbulk"])
        case "not_before":
            text = pick(["", "", "2027-06-01T10:00:00Z", "2027-01-15T08:00:00+02:00", "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z", "tomorrow", " 2027-03-01T00:00:00Z "])
        case "expires_at":
            text = pick(["", "", "2027-06-02T10:00:00Z", "2027-01-15T07:00:00Z", "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z", "2027-13-01T00:00:00Z"])
        case "idempotency_key":
            text = pick(["", "", "order-7", " k 1 ", String(repeating: "k", count: 256), String(repeating: "k", count: 257),
                         String(repeating: "ü", count: 129), "\"quoted\\key\""])
        case "template":
            text = pick(["", "order_update", "promo_2", "Bad Name", " order_update"])
        case "language":
            text = pick(["", "en_US", "de", String(repeating: "x", count: 21)])
        case "header.1": text = value(limit: 60)
        case "button.1", "button.2", "button.3", "button.10": text = value(limit: 2000)
        case "text": text = value(limit: 4096)
        default: text = column.hasPrefix("body.") ? value(limit: chance(50) ? 1024 : 32768) : pick(["", "x", "row 7", "a reason"])
        }
        return Array(text.utf8)
    }

    /// A parameter's text: plain mostly, else hostile (quotes, backslashes, control characters,
    /// unicode, a joined row), empty, or around a limit in characters and in bytes.
    mutating func value(limit: Int) -> String {
        switch chance(hostile) ? int(8...19) : int(0...7) {
        case 0...7: return pick(["Customer 42", "Order 7, 2 items", "x", " ", "ü", "€ 12,50"])
        case 8, 9: return ""
        case 10: return pick(["say \"hi\"", "back\\slash", "tab\there", "nul\u{0}", "bell\u{7}\u{1F}\u{7F}", "</script>", "\u{2028}\u{2029}"])
        case 11: return pick(["👍🏽", "e\u{301}", "🇩🇪🇫🇷", "日本語テキスト", "\u{FEFF}bom", "\u{10FFFF}"])
        case 12: return pick(["line\nbreak", "cr\rhere", "Hi\n+49 151 1234567, next row", "a\r\n\"+4915112345678\",x"])
        case 13: return String(repeating: "a", count: limit)
        case 14: return String(repeating: "a", count: limit + 1)
        case 15: return String(repeating: "ü", count: min(limit, 3000))             // bytes over, characters not
        case 16: return String(repeating: "👍🏽", count: min(limit, 1200))            // 8 bytes a character
        case 17: return String(repeating: "e\u{301}", count: limit + 1)              // graphemes over
        case 18: return String(repeating: "\\\"", count: int(1...40))
        default: return String((0..<int(1...30)).map { _ in Character(UnicodeScalar(UInt8(int(0...127)))) })
        }
    }
}
