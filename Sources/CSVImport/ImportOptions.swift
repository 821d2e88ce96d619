/// What to import and how: the command line of `wa-outbox import`.
public struct ImportOptions: Sendable, Equatable {
    /// The CSV file.
    public var path: String
    public var channel: String
    /// `--template`/`--language`: the template of every row whose own cell is empty.
    public var template: String?
    public var language: String?
    /// Validate and report only; queue nothing.
    public var dryRun: Bool
    /// Rows per request to the daemon (its limit is 10,000 lines per batch).
    public var batchSize: Int
    /// A batch is sent early once its body reaches this many bytes.
    public var maxBatchBytes: Int
    /// Batches sent and not yet answered, at most, while the next one is read: the client
    /// reads and checks rows while the daemon stores the previous batches. Four, not two: the
    /// daemon's one writer then finds two or three batches waiting and commits them with one
    /// fsync (a million rows: 9.6-10.3 s against 10.2-11.3 s with two, 2 MiB more client memory).
    public var maxInFlight: Int
    /// Where rejected rows go: `FILE.rejects.csv` beside the input.
    public var rejectsPath: String

    public init(path: String, channel: String, template: String? = nil, language: String? = nil, dryRun: Bool = false,
                batchSize: Int = 1000, maxBatchBytes: Int = 4 << 20, maxInFlight: Int = 4) {
        self.path = path
        self.channel = channel
        self.template = template
        self.language = language
        self.dryRun = dryRun
        self.batchSize = batchSize
        self.maxBatchBytes = maxBatchBytes
        self.maxInFlight = max(1, maxInFlight)
        self.rejectsPath = RejectsWriter.path(for: path)
    }
}
