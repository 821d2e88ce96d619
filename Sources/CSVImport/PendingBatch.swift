/// Valid rows waiting to go to the daemon in one request: the NDJSON body, and the records
/// so that the daemon's answer, line by line, can be matched back to rows.
struct PendingBatch {
    private(set) var body: [UInt8] = []
    private(set) var records: [CSVRecord] = []

    var count: Int { records.count }
    var isEmpty: Bool { records.isEmpty }
    /// Spreadsheet rows of the first and last row in the batch.
    var rows: ClosedRange<Int>? { records.first.map { $0.row...records.last!.row } }

    mutating func add(_ line: [UInt8], record: CSVRecord) {
        if !body.isEmpty { body.append(0x0A) }
        body += line
        records.append(record)
    }

    mutating func removeAll() {
        body.removeAll(keepingCapacity: true)
        records.removeAll(keepingCapacity: true)
    }
}
