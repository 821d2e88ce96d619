/// Watches an import as it runs, and may ask it to stop. The importer calls it from its own
/// task; `shouldStop` is read between batches, so a stop never cuts a batch in half.
public protocol ImportObserver: AnyObject {
    /// The figures after a batch (or, in a dry run, every batch-size rows).
    func progress(_ progress: ImportProgress)
    /// A row that will not be queued, by spreadsheet row number, and why.
    func rejected(row: Int, reason: String)
    /// Something the user should know that is not a row's fault.
    func notice(_ text: String)
    /// True once the import should stop after the batches in flight.
    var shouldStop: Bool { get }
}
