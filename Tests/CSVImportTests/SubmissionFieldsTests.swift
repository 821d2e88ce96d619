import OutboxAPI
import OutboxCore
import Testing

/// The importer checks rows through `SubmissionParser.parse(_ fields:)`, the daemon lines
/// through `parse(_ json:)`: the two must agree on every row, good or bad.
@Suite("Submission fields as the importer gives them")
struct SubmissionFieldsTests {
    static let now: Int64 = 1_800_000_000_000
    static let text = JSONValue.object(["type": .string("text"), "text": .object(["body": .string("Hi")])])

    /// Rows as (to, message, key, priority, not_before, expires_at), each field possibly bad.
    static let cases: [(String?, JSONValue, String?, String?, String?, String?)] = [
        ("+4915112345678", text, nil, "bulk", nil, nil),
        ("0049 151 1234-5678", text, "order-7", "high", "2027-06-01T10:00:00Z", "2027-06-02T10:00:00+02:00"),
        ("12", text, nil, "bulk", nil, nil),
        ("+49151123456789012", text, nil, "bulk", nil, nil),
        ("+49 151 ä", text, nil, "bulk", nil, nil),
        ("", text, nil, "bulk", nil, nil),
        (nil, text, nil, "bulk", nil, nil),
        ("+4915112345678", text, nil, "urgent", nil, nil),
        ("+4915112345678", text, nil, "bulk", "tomorrow", nil),
        ("+4915112345678", text, nil, "bulk", nil, "2020-01-01T00:00:00Z"),
        ("+4915112345678", text, "", "bulk", nil, nil),
        ("+4915112345678", text, String(repeating: "k", count: 300), "bulk", nil, nil),
        ("+4915112345678", .object(["type": .string("text"), "text": .object(["body": .string(String(repeating: "x", count: 5000))])]), nil, "bulk", nil, nil),
        ("+4915112345678", .object(["type": .string("template"), "template": .object(["name": .string("Bad Name"), "language": .object(["code": .string("en")])])]), nil, "bulk", nil, nil),
        ("12", text, nil, "urgent", "tomorrow", nil),
    ]

    @Test("fields and the JSON object they would make give the same submission or the same error", arguments: 0..<cases.count)
    func same(index: Int) {
        let (to, message, key, priority, notBefore, expiresAt) = Self.cases[index]
        var object: [String: JSONValue] = ["channel": .string("main"), "message": message, "import_id": .string("0123456789abcdef")]
        if let to { object["to"] = .string(to) }
        if let key { object["idempotency_key"] = .string(key) }
        if let priority { object["priority"] = .string(priority) }
        if let notBefore { object["not_before"] = .string(notBefore) }
        if let expiresAt { object["expires_at"] = .string(expiresAt) }
        let fields = SubmissionParser.Fields(channel: "main", to: to, message: message, idempotencyKey: key, priority: priority,
                                             notBefore: notBefore, expiresAt: expiresAt, importID: "0123456789abcdef")
        let byJSON = Result { () throws(APIErrorBody) in try SubmissionParser.parse(.object(object), channels: ["main"], nowMillis: Self.now) }
        let byFields = Result { () throws(APIErrorBody) in try SubmissionParser.parse(fields, channels: ["main"], nowMillis: Self.now) }
        switch (byJSON, byFields) {
        case (.success(let a), .success(let b)): #expect(a == b)
        case (.failure(let a), .failure(let b)): #expect(a.error == b.error)
        default: Issue.record("case \(index): the JSON gave \(byJSON), the fields \(byFields)")
        }
    }

    @Test("a channel that is empty or not configured is refused as in a JSON body")
    func channel() {
        for name in ["", "nope"] {
            let fields = SubmissionParser.Fields(channel: name, to: "+4915112345678", message: Self.text)
            let object = JSONValue.object(["channel": .string(name), "to": .string("+4915112345678"), "message": Self.text])
            do {
                _ = try SubmissionParser.parse(object, channels: ["main"], nowMillis: Self.now)
                Issue.record("channel '\(name)' was taken")
            } catch {
                do {
                    _ = try SubmissionParser.parse(fields, channels: ["main"], nowMillis: Self.now)
                    Issue.record("channel '\(name)' was taken from fields")
                } catch let e {
                    #expect(e.error == error.error)
                }
            }
        }
    }
}
