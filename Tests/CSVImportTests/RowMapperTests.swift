import Foundation
import OutboxCore
import Testing
@testable import CSVImport

/// One row into one submission line, or a reason naming the row's column.
@Suite("Row to submission")
struct RowMapperTests {
    static let now: Int64 = 1_800_000_000_000

    func mapper(_ header: [String], template: String? = nil, language: String? = nil) throws -> RowMapper {
        let columns = try ImportColumns(header: header, template: template, language: language)
        return RowMapper(columns: columns, channel: "main", importID: "0123456789abcdef", template: template, language: language)
    }

    func record(_ fields: [String], row: Int = 2) -> CSVRecord {
        CSVRecord(fields: fields.map { Array($0.utf8) }, row: row, line: row)
    }

    func json(_ outcome: RowMapper.Outcome) throws -> JSONValue {
        guard case .valid(let line) = outcome else { throw MapperTestError("rejected: \(outcome)") }
        #expect(!line.contains(0x0A))
        let value = try JSONParser.parse(line)
        #expect(value.canonicalBytes == line, "the line is written in canonical form")
        return value
    }

    func reason(_ outcome: RowMapper.Outcome) -> String? {
        if case .rejected(let r) = outcome { return r }
        return nil
    }

    @Test("a text row becomes a bulk submission of the import with a key from its row number")
    func textRow() throws {
        var m = try mapper(["to", "text"])
        let j = try json(m.map(record(["+49 151 1234-5678", "Hi, \"you\"\nthere"]), nowMillis: Self.now))
        #expect(j["to"] == .string("+4915112345678"))
        #expect(j["priority"] == .string("bulk"))
        #expect(j["import_id"] == .string("0123456789abcdef"))
        #expect(j["message"] == .object(["type": .string("text"), "text": .object(["body": .string("Hi, \"you\"\nthere")])]))
        #expect(j["idempotency_key"] == .string("imp-0123456789abcdef-r0000000002"), "the key names the row")
        let again = try json(m.map(record(["4915112345678", "Hi, \"you\"\nthere"], row: 9), nowMillis: Self.now))
        #expect(again["idempotency_key"] == .string("imp-0123456789abcdef-r0000000009"), "the same content in another row is another message")
        m.keys = .byContent
        let content = try json(m.map(record(["4915112345678", "Hi, \"you\"\nthere"], row: 9), nowMillis: Self.now))
        let s = try Submission(channel: "main", to: "+4915112345678", message: j["message"]!, priority: .bulk, nowMillis: Self.now)
        #expect(content["idempotency_key"] == .string(ImportKeys.rowKey(importID: "0123456789abcdef", s)), "an import begun before the upgrade keeps its content keys")
    }

    @Test("a row's own key, priority and times are used as given")
    func optionalColumns() throws {
        var m = try mapper(["to", "text", "idempotency_key", "priority", "not_before", "expires_at"])
        let j = try json(m.map(record(["+4915112345678", "x", "order-7", "High", "2027-06-01T10:00:00Z", "2027-06-02T10:00:00+02:00"]), nowMillis: Self.now))
        #expect(j["idempotency_key"] == .string("order-7"))
        #expect(j["priority"] == .string("high"))
        #expect(j["not_before"] == .string("2027-06-01T10:00:00Z"))
    }

    @Test("a text with a line break and then what looks like another row is refused: a stray quote joined two rows (red-team 20)")
    func joinedRows() throws {
        var m = try mapper(["to", "text"])
        for body in ["Hello\n+491512222222,Hi", "Hello\r\n \"+49 151 2222 222\", Hi", "Hi\n4915112345678,x"] {
            let r = reason(m.map(record(["+491511111111", body]), nowMillis: Self.now))
            #expect(r?.contains("stray quote") == true, "\(body)")
        }
        for body in ["Line one\nLine two, with a comma", "Call 030 1234 5678, please", "Order\n12, ready"] {
            _ = try json(m.map(record(["+491511111111", body]), nowMillis: Self.now))
        }
    }

    @Test("a template row builds header, body and URL button parameters")
    func templateRow() throws {
        var m = try mapper(["to", "header.1", "body.1", "body.2", "button.2"], template: "order_update", language: "en_US")
        let j = try json(m.map(record(["+4915112345678", "Big news", "Ann", "42", "track/42"]), nowMillis: Self.now))
        let t = try #require(j["message"]?["template"])
        #expect(t["name"] == .string("order_update"))
        #expect(t["language"] == .object(["code": .string("en_US")]))
        let c = try #require(t["components"]?.arrayValue)
        #expect(c.count == 3)
        #expect(c[1]["parameters"]?.arrayValue?.map { $0["text"] } == [.string("Ann"), .string("42")])
        #expect(c[2]["index"] == .string("1"))
        #expect(c[2]["sub_type"] == .string("url"))
    }

    @Test("every row of a template fills the same number of body parameters (checked on the client, from the fields)")
    func parameterCounts() throws {
        let columns = try ImportColumns(header: ["to", "template", "body.1", "body.2"], template: nil, language: "en")
        var counts = BodyCounts(columns: columns, template: nil)
        #expect(counts.check(record(["+4915112345678", "a", "Ann", "42"], row: 2)) == nil)
        #expect(counts.check(record(["+4915112345679", "b", "Bob", ""], row: 3)) == nil, "another template may differ")
        #expect(counts.check(record(["+4915112345670", "a", "Cy", ""], row: 4))
            == "template 'a' has 2 body parameters in row 2 but 1 here; every row of a template fills the same {{1}}, {{2}}, ...")
        #expect(counts.check(record(["+4915112345671", " a ", "Dee", "1"], row: 5)) == nil, "names are trimmed as the row's own check trims them")
        #expect(counts.check(record(["+4915112345671", "a", "", "7"], row: 6)) == nil, "a gap is the row's own check's to refuse")
        #expect(counts.check(record(["+4915112345672", "", "x", "y"], row: 7)) == nil, "no template: the row's own check's")
        let m = try mapper(["to", "template", "body.1", "body.2"], language: "en")
        let gap = reason(m.map(record(["+4915112345671", "a", "", "7"], row: 6), nowMillis: Self.now))
        #expect(gap?.hasPrefix("body.1: is empty but body.2 is set") == true)
        let missing = reason(m.map(record(["+4915112345672", "", "x", "y"], row: 7), nowMillis: Self.now))
        #expect(missing == "template: is empty and no --template was given")
        var defaults = BodyCounts(columns: columns, template: "d")
        #expect(defaults.check(record(["+4915112345672", "", "x", "y"], row: 8)) == nil)
        #expect(defaults.check(record(["+4915112345673", "", "x", ""], row: 9))?.hasPrefix("template 'd' has 2 body parameters in row 8") == true)
    }

    @Test("bad rows are rejected with the column at fault", arguments: [
        (["12", "x", ""], "to: '12' has 2 digits"),
        (["+4915112345678", "", ""], "text: must not be empty"),
        (["+4915112345678", String(repeating: "é", count: 5000), ""], "text: is 5000 characters; the limit is 4096"),
        (["+4915112345678", "x", "urgent"], "priority: must be high, normal or bulk"),
    ] as [([String], String)])
    func rejected(fields: [String], expected: String) throws {
        var m = try mapper(["to", "text", "priority"])
        let got = reason(m.map(record(fields), nowMillis: Self.now))
        #expect(got?.hasPrefix(expected) == true, "\(got ?? "accepted")")
    }

    @Test("dates, field counts and encodings are checked")
    func otherChecks() throws {
        var m = try mapper(["to", "text", "not_before", "expires_at"])
        #expect(reason(m.map(record(["+4915112345678", "x", "tomorrow", ""]), nowMillis: Self.now))?.hasPrefix("not_before: 'tomorrow' is not an RFC 3339 time") == true)
        #expect(reason(m.map(record(["+4915112345678", "x", "", "2001-01-01T00:00:00Z"]), nowMillis: Self.now))?.hasPrefix("expires_at:") == true)
        #expect(reason(m.map(record(["+4915112345678", "x"]), nowMillis: Self.now)) == "has 2 fields; the header has 4")
        #expect(reason(m.map(record(["+4915112345678", "x", "", "", "y"]), nowMillis: Self.now)) == "has 5 fields; the header has 4")
        let latin1 = CSVRecord(fields: [Array("+4915112345678".utf8), [0x43, 0x61, 0x66, 0xE9], [], []], row: 2, line: 2)
        #expect(reason(m.map(latin1, nowMillis: Self.now)) == "column 'text' is not valid UTF-8 text; save the file as CSV UTF-8")
    }
}

/// A row the test expected to be valid was rejected.
struct MapperTestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
