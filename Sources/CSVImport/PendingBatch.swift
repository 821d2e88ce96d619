/// Rows waiting to go to the daemon in one request: the body (a rows body, or NDJSON), and
/// the records, so that the daemon's answer can be matched back to rows.
struct PendingBatch {
    let route: Importer.Route
    private(set) var body: [UInt8]
    private(set) var records: [CSVRecord] = []
    /// Rows refused here while this batch was being filled, filed with its answer so the
    /// rejects file and the report stay in row order.
    private(set) var refused: [(record: CSVRecord, reason: String)] = []

    init(route: Importer.Route) {
        self.route = route
        if case .rows(let header) = route { body = header } else { body = [] }
    }

    var count: Int { records.count }
    /// Nothing to send or to file.
    var isEmpty: Bool { records.isEmpty && refused.isEmpty }
    var isRows: Bool { if case .rows = route { true } else { false } }
    /// Spreadsheet rows of the first and last row in the batch.
    var rows: ClosedRange<Int>? { records.first.map { $0.row...records.last!.row } }

    mutating func refuse(_ record: CSVRecord, reason: String) { refused.append((record, reason)) }

    mutating func add(_ line: [UInt8], record: CSVRecord) {
        if !body.isEmpty { body.append(0x0A) }
        body += line
        records.append(record)
    }
}
