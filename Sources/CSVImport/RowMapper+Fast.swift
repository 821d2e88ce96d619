import OutboxCore

/// The common row, mapped without building its message: a template row of a batch whose
/// template and language come from the command line (no `template` or `language` column),
/// or a text row. Its payload is written straight as canonical JSON (keys in the order
/// `JSONValue.canonicalBytes` sorts them, strings escaped by the same `writeEscaped`), and
/// only the checks that can differ per row are made: text lengths as `MessageValidator`
/// counts them, the recipient, priority, times and key. What depends only on the batch (the
/// template's name and language, the columns) is checked once, in `FastPlan`.
///
/// It answers only for rows it is sure of: anything it would refuse, or does not know
/// (a record with a problem, a line break in a field, text that is not UTF-8, a gap in the
/// body parameters, an overlong text, a bad time), goes to `checkSlow`, the reference, which
/// gives the reason. A property test (`RowMapperFastPathTests`) holds the two alike: the
/// same submission, byte for byte, for every row this path answers. Measured on an import of
/// a million template rows, `checkSlow` was about 11 µs of the daemon's CPU per row, a third
/// each in the message's tree, `MessageValidator` and the canonical text.
extension RowMapper {
    /// What a batch's rows share, checked once; nil when its rows cannot take the fast path.
    struct FastPlan: Sendable {
        /// A template's name and language code, checked as `MessageValidator` checks them;
        /// nil for text rows.
        var template: (name: String, language: String)?
        /// The payload's end after its components: `"language":{"code":...},"name":...},"type":"template"}`.
        var templateTail: [UInt8] = []
        /// `button.N` columns by N, in order, each with its `index` as the payload writes it.
        var buttons: [(n: Int, column: Int, index: [UInt8])] = []
    }

    static func fastPlan(columns: ImportColumns, channel: String, template: String?, language: String?) -> FastPlan? {
        guard !channel.isEmpty else { return nil }
        guard columns.isTemplate else { return columns.text == nil ? nil : FastPlan() }
        guard columns.template == nil, columns.language == nil, let name = template, let language,
              name.utf8.count <= 512, name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }),
              !language.isEmpty, fits(language, 20)
        else { return nil }
        var plan = FastPlan(template: (name, language))
        plan.templateTail = Array(#""language":{"code":"#.utf8)
        JSONValue.writeString(language, into: &plan.templateTail)
        plan.templateTail += Array(#"},"name":"#.utf8)
        JSONValue.writeString(name, into: &plan.templateTail)
        plan.templateTail += Array(#"},"type":"template"}"#.utf8)
        plan.buttons = columns.buttons.sorted { $0.key < $1.key }.map { ($0.key, $0.value, Array(String($0.key - 1).utf8)) }
        return plan
    }

    /// True when `s` is at most `max` characters as the API counts them (`Rules.string`'s
    /// count: bytes first, the grapheme walk only when they could be over).
    static func fits(_ s: String, _ max: Int) -> Bool { s.utf8.count <= max || s.count <= max }

    /// The row checked and mapped without building its message, or nil when it is not a row
    /// this path is sure of (then `checkSlow` judges it).
    func checkFast(_ record: CSVRecord, nowMillis: Int64) -> Checked? {
        guard let plan = fast, record.problem == nil, record.fieldCount == columns.count, record.fields.count == columns.count else { return nil }
        var values: [String] = []
        values.reserveCapacity(columns.count)
        for field in record.fields {
            // A line break may be two rows joined by a stray quote: `checkSlow` looks closer.
            // ASCII (most cells) needs no validation, which `String(validating:)` does generically.
            var ascii = true
            for b in field {
                if b == 0x0A || b == 0x0D { return nil }
                if b >= 0x80 { ascii = false }
            }
            guard let value = ascii ? String(decoding: field, as: UTF8.self) : String(validating: field, as: UTF8.self) else { return nil }
            values.append(value)
        }
        let row = Row(values: values)
        var payload: [UInt8] = []
        payload.reserveCapacity(record.fields.reduce(160) { $0 + $1.count + 32 })
        let shape: TemplateShape?
        if let template = plan.template {
            guard let written = writeTemplate(row, plan: plan, into: &payload) else { return nil }
            shape = TemplateShape(name: template.name, language: template.language, header: written.header, bodyCount: written.bodyCount, buttons: written.buttons)
        } else {
            let text = values[columns.text!]
            guard !text.isEmpty, Self.fits(text, 4096) else { return nil }
            payload.append(static: #"{"text":{"body":"#)
            JSONValue.writeString(text, into: &payload)
            payload.append(static: #"},"type":"text"}"#)
            shape = nil
        }
        let priorityText = row.trimmed(columns.priority)?.lowercased() ?? Priority.bulk.rawValue
        guard let priority = Priority(rawValue: priorityText) else { return nil }
        let notBefore = row.trimmed(columns.notBefore), expiresAt = row.trimmed(columns.expiresAt)
        var notBeforeMillis: Int64?, expiresAtMillis: Int64?
        if let notBefore {
            guard let t = RFC3339.parse(notBefore) else { return nil }
            notBeforeMillis = t
        }
        if let expiresAt {
            guard let t = RFC3339.parse(expiresAt) else { return nil }
            expiresAtMillis = t
        }
        guard let recipient = try? Recipient(parsing: values[columns.to].trimmingSpaces),
              var submission = try? Submission(channel: channel, recipient: recipient, checkedPayload: String(decoding: payload, as: UTF8.self),
                                               messageType: plan.template == nil ? "text" : "template",
                                               templateName: plan.template?.name, templateLanguage: plan.template?.language,
                                               idempotencyKey: row.trimmed(columns.idempotencyKey), priority: priority,
                                               notBeforeMillis: notBeforeMillis, expiresAtMillis: expiresAtMillis, importID: importID, nowMillis: nowMillis)
        else { return nil }
        if submission.idempotencyKey == nil {
            submission.idempotencyKey = keys == .byRow ? ImportKeys.rowKey(importID: importID, row: record.row)
                                                       : ImportKeys.rowKey(importID: importID, submission, message: payload)
        }
        return Checked(submission: submission, notBefore: notBefore, expiresAt: expiresAt, priority: priorityText, shape: shape)
    }

    /// Writes the template message of `row` as `templateMessage` builds it and
    /// `canonicalBytes` writes it, with `MessageValidator`'s limits on each text (a text
    /// header's 60 characters, a body's 1,024, or 32,768 when it is the only component, a
    /// URL suffix's 2,000); nil for a gap in the body parameters or a text over its limit.
    private func writeTemplate(_ row: Row, plan: FastPlan, into out: inout [UInt8]) -> (header: Bool, bodyCount: Int, buttons: UInt16)? {
        let header = columns.header.map { row.values[$0] }.flatMap(\.nilIfEmpty)
        var bodyCount = 0
        for (i, column) in columns.body.enumerated() where !row.values[column].isEmpty { bodyCount = i + 1 }
        var buttons: UInt16 = 0
        var buttonCount = 0
        for b in plan.buttons where !row.values[b.column].isEmpty {
            buttons |= 1 << (b.n - 1)
            buttonCount += 1
        }
        let componentCount = (header == nil ? 0 : 1) + (bodyCount > 0 ? 1 : 0) + buttonCount
        let bodyLimit = componentCount > 1 ? 1024 : 32768

        func parameter(_ text: String) {
            out.append(static: #"{"text":"#)
            JSONValue.writeString(text, into: &out)
            out.append(static: #","type":"text"}"#)
        }
        out.append(static: #"{"template":{"#)
        if componentCount > 0 {
            out.append(static: #""components":["#)
            if let header {
                guard Self.fits(header, 60) else { return nil }
                out.append(static: #"{"parameters":["#)
                parameter(header)
                out.append(static: #"],"type":"header"}"#)
            }
            if bodyCount > 0 {
                if header != nil { out.append(UInt8(ascii: ",")) }
                out.append(static: #"{"parameters":["#)
                for i in 0..<bodyCount {
                    let text = row.values[columns.body[i]]
                    guard !text.isEmpty, Self.fits(text, bodyLimit) else { return nil }
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    parameter(text)
                }
                out.append(static: #"],"type":"body"}"#)
            }
            var first = header == nil && bodyCount == 0
            for b in plan.buttons where buttons & (1 << (b.n - 1)) != 0 {
                let text = row.values[b.column]
                guard Self.fits(text, 2000) else { return nil }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                out.append(static: #"{"index":""#)
                out += b.index
                out.append(static: #"","parameters":["#)
                parameter(text)
                out.append(static: #"],"sub_type":"url","type":"button"}"#)
            }
            out.append(static: "],")
        }
        out += plan.templateTail
        return (header != nil, bodyCount, buttons)
    }
}

extension [UInt8] {
    /// Appends a literal's bytes (one copy; `+= "...".utf8` went through a generic sequence).
    mutating func append(static text: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}

/// What the catalog check at the door (`TemplateCheck`) reads of an import row's template
/// message: its name, its language and which components it has with how many parameters,
/// never a parameter's text. Rows of one shape get one verdict, so the daemon checks each
/// shape of a batch once (`message` stands in for its rows) instead of each row's message.
public struct TemplateShape: Hashable, Sendable {
    public var name: String
    public var language: String
    var header: Bool
    var bodyCount: Int
    /// Bit N-1 for each `button.N` the row fills.
    var buttons: UInt16

    /// A template message of this shape as `RowMapper.templateMessage` builds it, each
    /// parameter's text a placeholder: what `TemplateCheck` reads of it is the rows'.
    public var message: JSONValue {
        func parameters(_ count: Int) -> JSONValue {
            .array(Array(repeating: .object(["type": .string("text"), "text": .string("x")]), count: count))
        }
        var list: [JSONValue] = []
        if header { list.append(.object(["type": .string("header"), "parameters": parameters(1)])) }
        if bodyCount > 0 { list.append(.object(["type": .string("body"), "parameters": parameters(bodyCount)])) }
        for n in 1...ImportColumns.maxButtons where buttons & (1 << (n - 1)) != 0 {
            list.append(.object(["type": .string("button"), "sub_type": .string("url"), "index": .string(String(n - 1)), "parameters": parameters(1)]))
        }
        var template: [String: JSONValue] = ["name": .string(name), "language": .object(["code": .string(language)])]
        if !list.isEmpty { template["components"] = .array(list) }
        return .object(["type": .string("template"), "template": .object(template)])
    }
}
