/// The body of `POST /v1/imports/{id}/rows`: CSV (RFC 4180) whose header is the file's header
/// with a first column `wa-outbox-row`, and whose records are the file's rows, each with its
/// row number first and its fields as read (quoted where they need it). The client only reads
/// the file and writes this; the daemon checks and maps the rows where it stores them.
public enum RowsBody {
    /// The first column's name.
    public static let rowColumn = "wa-outbox-row"

    /// The header line: `wa-outbox-row` and the file's header fields.
    static func header(_ fields: [[UInt8]]) -> [UInt8] {
        var out = Array(rowColumn.utf8)
        for f in fields { out.append(UInt8(ascii: ",")); append(f, to: &out) }
        return out
    }

    /// One record's line: its row number and its fields.
    static func line(_ record: CSVRecord) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(record.fields.reduce(12) { $0 + $1.count + 3 })
        out.append(contentsOf: String(record.row).utf8)
        for f in record.fields { out.append(UInt8(ascii: ",")); append(f, to: &out) }
        return out
    }

    /// A field as CSV: as it is, or quoted with its quotes doubled when it holds a comma, a
    /// quote or a line break.
    static func append(_ field: [UInt8], to out: inout [UInt8]) {
        guard field.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else {
            out.append(contentsOf: field)
            return
        }
        out.append(0x22)
        for b in field {
            if b == 0x22 { out.append(0x22) }
            out.append(b)
        }
        out.append(0x22)
    }
}
