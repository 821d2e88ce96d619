/// What an import came to. Encodes as exactly `{"import_id", "rows", "accepted",
/// "duplicates", "rejected", "rejects_file"}` (CONTRACT.md), with
/// `rows = accepted + duplicates + rejected`.
public struct ImportSummary: Sendable, Equatable, Encodable {
    /// How the import ended.
    public enum End: Sendable, Equatable {
        /// Every row of the file was handled.
        case finished
        /// Stopped on request (Ctrl-C) after the batches in flight.
        case interrupted
        /// Stopped because the daemon did not take a batch; the reason says which rows.
        case failed(String)
    }

    public var importID: String
    /// Rows handled: not blank, and either answered by the daemon or rejected.
    public var rows = 0
    /// Rows newly queued (in a dry run: rows that would be).
    public var accepted = 0
    /// Rows whose idempotency key was already there: queued by an earlier run (or, from an
    /// `idempotency_key` column, a key the file repeats).
    public var duplicates = 0
    public var rejected = 0
    /// `FILE.rejects.csv`, or nil when no row was rejected.
    public var rejectsFile: String?
    public var end = End.finished
    /// Every row up to this one (a spreadsheet row number, the header being 1) is handled.
    public var throughRow = 1
    public var dryRun = false

    enum CodingKeys: String, CodingKey {
        case importID = "import_id", rows, accepted, duplicates, rejected, rejectsFile = "rejects_file"
    }

    public init(importID: String) { self.importID = importID }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(importID, forKey: .importID)
        try c.encode(rows, forKey: .rows)
        try c.encode(accepted, forKey: .accepted)
        try c.encode(duplicates, forKey: .duplicates)
        try c.encode(rejected, forKey: .rejected)
        try c.encode(rejectsFile, forKey: .rejectsFile)
    }

    /// The figures so far, for progress lines.
    public var progress: ImportProgress {
        ImportProgress(rows: rows, accepted: accepted, duplicates: duplicates, rejected: rejected, throughRow: throughRow)
    }
}
