import CSVImport
import Hummingbird
import OutboxAPI
import OutboxCore
import OutboxStore

/// `POST /v1/imports/{id}/rows?channel=C[&template=T&language=L]`: a batch of an import's rows
/// as CSV, checked and mapped here, where they are stored, instead of on the client and again
/// here as NDJSON. The body's header is the file's header with a first column `wa-outbox-row`;
/// each record is a row of the file, its number first. Each row is keyed by the import and its
/// number (`imp-<id>-r<row>`, as the NDJSON path keys it), so a batch sent again, or an import
/// run again, stores nothing twice. `RowMapper` judges the rows, as a dry run does.
extension MessagesController {
    /// The first column of a rows body: the row's number in the file.
    static let rowColumn = RowsBody.rowColumn
    /// Longest import id, `template` and `language` a request may name.
    static let maxImportIDBytes = 64
    static let maxDefaultBytes = 512

    @Sendable func importRows(_ request: Request, context: BasicRequestContext) async throws -> Response {
        do {
            let importID = try Self.importID(context.parameters.get("id") ?? "")
            let query = request.uri.queryParameters
            let channel = query.get("channel") ?? ""
            guard !channel.isEmpty else { throw APIErrorBody(.invalidField, "is required", field: "channel") }
            let channels = channelNames
            guard channels.contains(channel) else {
                throw APIErrorBody(.unknownChannel, "no channel named '\(channel)' is configured (known: \(channels.sorted().joined(separator: ", ")))", field: "channel")
            }
            let template = try Self.bounded(query.get("template"), "template"), language = try Self.bounded(query.get("language"), "language")
            let bytes = try await Self.body(request, limit: limits.maxBatchBytes)
            let reader = CSVRecordReader(bytes: bytes)
            let columns = try Self.columns(try Self.next(reader), template: template, language: language)
            let mapper = RowMapper(columns: columns, channel: channel, importID: importID, template: template, language: language)
            let now = clock.nowMillis()
            var rejected: [ImportRowsDocument.Rejected] = []
            var valid: [(row: Int, submission: Submission)] = []
            var lastRow = 1
            while let record = try Self.next(reader) {
                guard rejected.count + valid.count < limits.maxBatchLines else {
                    throw APIErrorBody(.bodyTooLarge, "a batch holds at most \(limits.maxBatchLines) rows; split it")
                }
                let row = try Self.rowNumber(record, after: lastRow)
                lastRow = row
                let inner = CSVRecord(fields: Array(record.fields.dropFirst()), fieldCount: record.fieldCount - 1, row: row, line: row, problem: record.problem)
                switch mapper.check(inner, nowMillis: now) {
                case .failure(let problem):
                    rejected.append(.init(row: row, reason: problem.description))
                case .success(let checked):
                    do {
                        valid.append((row, try await admit(checked.submission)))
                    } catch let e as APIErrorBody {
                        rejected.append(.init(row: row, reason: "the daemon refused it: \(RowMapper.reason(e.error, columns: columns))"))
                    }
                }
            }
            let stored = valid.isEmpty ? [] : try await commit(valid.map(\.submission))
            var accepted = 0, duplicates = 0
            for (entry, outcome) in zip(valid, stored) {
                switch outcome {
                case .created: accepted += 1
                case .duplicate: duplicates += 1
                case .conflict(let id):
                    let e = APIErrorBody(.conflict, "idempotency_key already used for different content (message \(id))", field: "idempotency_key")
                    rejected.append(.init(row: entry.row, reason: "the daemon refused it: \(RowMapper.reason(e.error, columns: columns))"))
                }
            }
            rejected.sort { $0.row < $1.row }
            return JSONResponse.make(bytes: ImportRowsDocument(accepted: accepted, duplicates: duplicates, rejected: rejected).jsonBytes)
        } catch let e as APIErrorBody {
            return JSONResponse.error(e)
        }
    }

    /// An import id as the client makes them (`ImportKeys.importID`: hex), or another short
    /// name of letters, digits, `-` and `_`: it becomes part of every row's key.
    static func importID(_ raw: String) throws(APIErrorBody) -> String {
        guard !raw.isEmpty, raw.utf8.count <= maxImportIDBytes,
              raw.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2D || $0 == 0x5F })
        else {
            throw APIErrorBody(.invalidField, "an import id is 1 to \(maxImportIDBytes) letters, digits, '-' or '_'", field: "import_id")
        }
        return raw
    }

    static func bounded(_ value: String?, _ name: String) throws(APIErrorBody) -> String? {
        guard let value, !value.isEmpty else { return nil }
        guard value.utf8.count <= maxDefaultBytes else { throw APIErrorBody(.invalidField, "must be at most \(maxDefaultBytes) bytes", field: name) }
        return String(value)
    }

    /// The next record of the body; a body whose quoting cannot be followed is refused whole.
    static func next(_ reader: CSVRecordReader) throws(APIErrorBody) -> CSVRecord? {
        do {
            return try reader.next()
        } catch {
            throw APIErrorBody(.invalidField, "the body cannot be read as CSV: \(error)", field: "body")
        }
    }

    /// The columns of the body's header, after its `wa-outbox-row` column.
    static func columns(_ header: CSVRecord?, template: String?, language: String?) throws(APIErrorBody) -> ImportColumns {
        guard let header, header.problem == nil, header.fieldCount == header.fields.count, header.fields.first.map({ $0.elementsEqual(rowColumn.utf8) }) == true else {
            throw APIErrorBody(.invalidField, "the body's first row names the columns, beginning with '\(rowColumn)'", field: "body")
        }
        var names: [String] = []
        for field in header.fields.dropFirst() {
            guard let name = String(validating: field, as: UTF8.self) else { throw APIErrorBody(.invalidField, "the header row is not UTF-8", field: "body") }
            names.append(name)
        }
        do {
            return try ImportColumns(header: names, template: template, language: language)
        } catch {
            throw APIErrorBody(.invalidField, "the header row \(error.description)", field: "body")
        }
    }

    /// A record's row number: digits, above the header's row 1 and the record before it.
    static func rowNumber(_ record: CSVRecord, after previous: Int) throws(APIErrorBody) -> Int {
        guard let field = record.fields.first, (1...10).contains(field.count), field.allSatisfy({ (0x30...0x39).contains($0) }),
              let row = Int(String(decoding: field, as: UTF8.self)), row > previous, row <= Int(Int32.max)
        else {
            throw APIErrorBody(.invalidField, "record \(record.row) of the body: '\(rowColumn)' must be a row number above \(previous)", field: "body")
        }
        return row
    }
}
