import OutboxAPI
import OutboxCore

extension RowsBody {
    /// One row of a rows body as the daemon judged it: its submission (keyed), or why not.
    public struct Row: Sendable {
        public var row: Int
        public var outcome: Result<Submission, RowMapper.ParameterProblem>
        /// What the catalog check reads of a template row's message, when its rows' shape
        /// stands for it (`RowMapper.Checked.shape`); nil: check the submission's message.
        public var shape: TemplateShape?
    }

    /// Reads a rows body (`POST /v1/imports/{id}/rows`) into its rows, each checked and
    /// mapped by `RowMapper` and keyed by import and row number. A body that cannot be read
    /// as one (no `wa-outbox-row` header, a header `ImportColumns` refuses, a row number not
    /// above the one before it, quoting that cannot be followed, more than `maxRows`
    /// records) is refused whole, naming `body`; a bad row is that row's outcome. Pure: the
    /// daemon's handler and the fuzz target call it alike. `reference` maps every row by
    /// `RowMapper`'s slow path, which its fast path is held to (the fuzz target compares them).
    public static func read(_ bytes: [UInt8], importID: String, channel: String, template: String?, language: String?,
                            maxRows: Int, nowMillis: Int64, reference: Bool = false) throws(APIErrorBody) -> (columns: ImportColumns, rows: [Row]) {
        let reader = CSVRecordReader(bytes: bytes)
        let columns = try columns(try next(reader), template: template, language: language)
        let mapper = RowMapper(columns: columns, channel: channel, importID: importID, template: template, language: language)
        var rows: [Row] = []
        var lastRow = 1
        while let record = try next(reader) {
            guard rows.count < maxRows else { throw APIErrorBody(.bodyTooLarge, "a batch holds at most \(maxRows) rows; split it") }
            let row = try rowNumber(record, after: lastRow)
            lastRow = row
            // The row's own fields, after its number (in place: the reader hands over its array).
            var inner = consume record
            inner.fields.removeFirst()
            inner.fieldCount -= 1
            (inner.row, inner.line) = (row, row)
            switch reference ? mapper.checkSlow(inner, nowMillis: nowMillis) : mapper.check(inner, nowMillis: nowMillis) {
            case .success(let checked): rows.append(Row(row: row, outcome: .success(checked.submission), shape: checked.shape))
            case .failure(let problem): rows.append(Row(row: row, outcome: .failure(problem)))
            }
        }
        return (columns, rows)
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
