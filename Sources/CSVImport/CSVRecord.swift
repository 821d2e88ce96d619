/// One record of a CSV file as read, before any meaning is given to its fields.
public struct CSVRecord: Sendable, Equatable {
    /// The raw bytes of each field, quotes removed and doubled quotes undone. At most
    /// `CSVRecordReader.maxFields` are kept; `fieldCount` says how many there were.
    public var fields: [[UInt8]]
    /// How many fields the record has, kept or not.
    public var fieldCount: Int
    /// The row number a spreadsheet shows: the header is row 1, and blank rows count.
    public var row: Int
    /// The physical line (from 1) the record starts on; differs from `row` after a field
    /// with embedded line breaks.
    public var line: Int
    /// Why the record cannot be read as its writer meant it (broken quoting, a field too
    /// large); nil for a well-formed record.
    public var problem: String?

    public init(fields: [[UInt8]], fieldCount: Int? = nil, row: Int, line: Int, problem: String? = nil) {
        self.fields = fields
        self.fieldCount = fieldCount ?? fields.count
        self.row = row
        self.line = line
        self.problem = problem
    }

    /// True for a record without content: an empty line, or only empty fields (`,,,` as
    /// spreadsheets write an empty row). Whitespace counts as empty.
    public var isBlank: Bool {
        problem == nil && fields.allSatisfy { $0.allSatisfy { $0 == 0x20 || $0 == 0x09 } }
    }

    /// Field `index` as text: nil when it is not valid UTF-8, "" when the record is short.
    public func text(_ index: Int) -> String? {
        guard index < fields.count else { return "" }
        return String(validating: fields[index], as: UTF8.self)
    }
}
