/// The figures and outputs of one run, passed between the importer's steps.
struct RunState<Observer: ImportObserver> {
    var summary: ImportSummary
    let rejects: RejectsWriter
    let observer: Observer
    let columns: ImportColumns

    mutating func reject(_ record: CSVRecord, reason: String) throws(ImportError) {
        summary.rows += 1
        summary.rejected += 1
        try rejects.write(record, reason: reason)
        observer.rejected(row: record.row, reason: reason)
    }
}
