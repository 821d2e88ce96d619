import Foundation
import OutboxAPI
import OutboxCore

/// Turns the rows of an import into submissions, checking each one as a submission is checked
/// (`SubmissionParser`, hence `Recipient` and `MessageValidator`) and adding what only the
/// file shows: the field count, UTF-8, rows joined by a stray quote. The client runs it for a
/// dry run (and for imports begun with content keys, sent as NDJSON); the daemon runs it on
/// the rows `POST /v1/imports/{id}/rows` brings, so both judge a row alike.
public struct RowMapper: Sendable {
    /// What became of one row.
    enum Outcome: Equatable {
        /// A valid row: its NDJSON line (no line break inside).
        case valid([UInt8])
        /// Why the row cannot be queued, naming the column at fault.
        case rejected(String)
    }

    let columns: ImportColumns
    let channel: String
    /// `[channel]`, made once: the parser checks the row's channel against it.
    let channels: Set<String>
    let importID: String
    let defaultTemplate: String?
    let defaultLanguage: String?
    /// How rows without an `idempotency_key` are keyed: by row, unless the import was begun
    /// by a version that keyed them by content (`ImportKeys.style(stored:importID:)`).
    var keys = ImportKeys.Style.byRow
    /// What the batch's rows share for `checkFast`; nil: every row takes `checkSlow`.
    let fast: FastPlan?

    public init(columns: ImportColumns, channel: String, importID: String, template: String?, language: String?) {
        self.columns = columns
        self.channel = channel
        self.channels = [channel]
        self.importID = importID
        self.defaultTemplate = template?.trimmingSpaces.nilIfEmpty
        self.defaultLanguage = language?.trimmingSpaces.nilIfEmpty
        self.fast = Self.fastPlan(columns: columns, channel: channel, template: defaultTemplate, language: defaultLanguage)
    }

    /// A row checked and made into its submission, keyed: what the NDJSON line and the
    /// daemon's rows endpoint both store.
    public struct Checked: Sendable {
        public var submission: Submission
        var notBefore: String?
        var expiresAt: String?
        var priority: String
        /// For a template row mapped by `checkFast`: what the catalog check reads of its
        /// message, so that a batch checks each shape once instead of each row's message.
        public var shape: TemplateShape?
    }

    /// The row's NDJSON line for `POST /v1/messages/batch`, or why it cannot be queued.
    /// (Body parameter counts across rows are `BodyCounts`'s, checked before.)
    func map(_ record: CSVRecord, nowMillis: Int64) -> Outcome {
        switch check(record, nowMillis: nowMillis) {
        case .failure(let reason): return .rejected(reason.description)
        case .success(let c):
            return .valid(Self.line(c.submission, key: c.submission.idempotencyKey!, notBefore: c.notBefore, expiresAt: c.expiresAt, priority: c.priority))
        }
    }

    /// Every check of one row, in the order its errors are reported, and the submission it
    /// makes with its idempotency key (its own, or the import's key for its row): the common
    /// row by `checkFast`, which answers only for rows it is sure of, every other by `checkSlow`.
    public func check(_ record: CSVRecord, nowMillis: Int64) -> Result<Checked, ParameterProblem> {
        if let checked = checkFast(record, nowMillis: nowMillis) { return .success(checked) }
        return checkSlow(record, nowMillis: nowMillis)
    }

    /// `check` through the message's tree, `SubmissionParser` and `MessageValidator`: the
    /// reference that `checkFast` is held to, and the judge of every row it does not answer.
    func checkSlow(_ record: CSVRecord, nowMillis: Int64) -> Result<Checked, ParameterProblem> {
        if let problem = record.problem { return .failure(.init(description: problem)) }
        guard record.fieldCount == columns.count else { return .failure(.init(description: Self.fieldCountReason(record.fieldCount, columns: columns))) }
        var values: [String] = []
        values.reserveCapacity(columns.count)
        for i in 0..<columns.count {
            guard let value = record.text(i) else {
                return .failure(.init(description: "column '\(columns.names[i])' is not valid UTF-8 text; save the file as CSV UTF-8"))
            }
            values.append(value)
        }
        if let column = Self.joinedRowColumn(values) {
            return .failure(.init(description: "column '\(columns.names[column])' holds a line break followed by what looks like another row (a phone number and a comma): a stray quote probably joined two rows, which would send one customer's row inside another's message; check the quotes"))
        }
        let row = Row(values: values)
        var components: [TemplateComponent] = []
        let message: JSONValue
        if columns.isTemplate {
            guard let name = row.trimmed(columns.template) ?? defaultTemplate else {
                return .failure(.init(description: "template: is empty and no --template was given"))
            }
            guard let language = row.trimmed(columns.language) ?? defaultLanguage else {
                return .failure(.init(description: "language: is empty and no --language was given"))
            }
            switch templateMessage(row, name: name, language: language) {
            case .success(let built):
                message = built.message
                components = built.components
            case .failure(let reason): return .failure(reason)
            }
        } else {
            message = .object(["type": .string("text"), "text": .object(["body": .string(row.values[columns.text!])])])
        }
        let priority = row.trimmed(columns.priority)?.lowercased() ?? Priority.bulk.rawValue
        let notBefore = row.trimmed(columns.notBefore), expiresAt = row.trimmed(columns.expiresAt)
        let fields = SubmissionParser.Fields(channel: channel, to: row.values[columns.to].trimmingSpaces, message: message,
                                             idempotencyKey: row.trimmed(columns.idempotencyKey), priority: priority,
                                             notBefore: notBefore, expiresAt: expiresAt, importID: importID)
        var submission: Submission
        do {
            submission = try SubmissionParser.parse(fields, channels: channels, nowMillis: nowMillis)
        } catch {
            return .failure(.init(description: reason(error.error, components: components)))
        }
        if submission.idempotencyKey == nil {
            submission.idempotencyKey = keys == .byRow ? ImportKeys.rowKey(importID: importID, row: record.row)
                                                       : ImportKeys.rowKey(importID: importID, submission, message: Array(submission.payload.utf8))
        }
        return .success(Checked(submission: submission, notBefore: notBefore, expiresAt: expiresAt, priority: priority, shape: nil))
    }

    /// Why a record with `count` fields does not fit the header.
    public static func fieldCountReason(_ count: Int, columns: ImportColumns) -> String {
        "has \(count) field\(count == 1 ? "" : "s"); the header has \(columns.count)"
    }

    /// The NDJSON line of a checked row, written field by field in canonical order (keys
    /// sorted, as `JSONValue.canonicalBytes` writes the whole object) around the message's
    /// canonical text, which the submission wrote once when it was checked. Times and priority
    /// go as the row wrote them; the daemon reads them again.
    static func line(_ s: Submission, key: String, notBefore: String?, expiresAt: String?, priority: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.payload.utf8.count + 160)
        func field(_ name: StaticString, _ value: String) {
            out.append(out.isEmpty ? UInt8(ascii: "{") : UInt8(ascii: ","))
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: "\":".utf8)
            JSONValue.writeString(value, into: &out)
        }
        field("channel", s.channel)
        if let expiresAt { field("expires_at", expiresAt) }
        field("idempotency_key", key)
        if let importID = s.importID { field("import_id", importID) }
        out.append(contentsOf: ",\"message\":".utf8)
        out.append(contentsOf: s.payload.utf8)
        if let notBefore { field("not_before", notBefore) }
        field("priority", priority)
        field("to", s.recipient.e164)
        out.append(UInt8(ascii: "}"))
        return out
    }

    func reason(_ error: APIErrorBody.Detail, components: [TemplateComponent]) -> String {
        Self.reason(error, columns: columns, components: components)
    }

    /// The first column whose text has a line break followed by a phone number and a comma,
    /// the mark of two rows joined by a stray quote (red-team 20): RFC 4180 reads that as one
    /// valid row, but it is almost never meant. The line break is looked for in the bytes:
    /// `String.contains("\n")` goes through Foundation's `range(of:)`, which was a fifth of the
    /// client's time on a file without any.
    static func joinedRowColumn(_ values: [String]) -> Int? {
        values.firstIndex { v in
            v.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) && v.range(of: #"[\r\n][ \t]*"?\+?[0-9][0-9 ()./-]{6,}"?[ \t]*,"#, options: .regularExpression) != nil
        }
    }

    /// "column: message" for an error about a submission built from a row.
    public static func reason(_ error: APIErrorBody.Detail, columns: ImportColumns, components: [TemplateComponent] = []) -> String {
        guard let column = columns.column(forField: error.field, components: components) else { return error.message }
        return "\(column): \(error.message)"
    }
}

/// One row's fields as text.
struct Row {
    var values: [String]

    /// The field in column `index` without surrounding spaces; nil when absent or empty.
    func trimmed(_ index: Int?) -> String? {
        guard let index else { return nil }
        return values[index].trimmingSpaces.nilIfEmpty
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
