import OutboxAPI
import OutboxCore

/// Imports one CSV file (CONTRACT.md, "CSV import"): reads it as a stream, checks each row
/// as the daemon would, sends the valid rows to the daemon in batches and writes the others,
/// with the reason, to the rejects file. Bad rows never stop the good ones.
///
/// Idempotent: the import id comes from the file's bytes, channel and defaults, and each row
/// without an `idempotency_key` gets one from the import id and its row number, so running the
/// same import again (after Ctrl-C, a crash, a daemon restart, or by mistake) queues nothing
/// twice and counts what was already there as `duplicates`.
public struct Importer: Sendable {
    public let options: ImportOptions
    let sink: (any BatchSink)?
    let clock: any OutboxClock

    /// `sink` may be nil only for a dry run (the channel is then not checked).
    public init(options: ImportOptions, sink: (any BatchSink)?, clock: any OutboxClock = SystemClock()) {
        self.options = options
        self.sink = sink
        self.clock = clock
    }

    public func run(observer: some ImportObserver) async throws(ImportError) -> ImportSummary {
        let importID = try ImportKeys.importID(path: options.path, channel: options.channel, template: options.template, language: options.language)
        try await checkChannel(observer)
        let reader = try CSVRecordReader(path: options.path)
        guard let header = try reader.next() else { throw .emptyFile(path: options.path) }
        let columns = try self.columns(header)
        var mapper = RowMapper(columns: columns, channel: options.channel, importID: importID, template: options.template, language: options.language)
        mapper.keys = try await keyStyle(importID)
        var state = RunState(summary: ImportSummary(importID: importID), rejects: RejectsWriter(path: options.rejectsPath, header: header.fields),
                             observer: observer, columns: columns)
        state.summary.dryRun = options.dryRun
        var batch = PendingBatch()
        var sinceCheck = 0
        var lastRead = 1
        // The group's calls stay in this closure: handing the group `inout` to an async
        // method garbled child results in release builds (Swift 6.3.1).
        let thrown = await withTaskGroup(of: BatchAnswer.self) { group -> ImportError? in
            var flights = Flights()
            do throws(ImportError) {
                readLoop: while let record = try reader.next() {
                    lastRead = record.row
                    if record.isBlank { continue }
                    switch mapper.map(record, nowMillis: clock.nowMillis()) {
                    case .rejected(let reason):
                        try state.reject(record, reason: reason)
                    case .valid(let line):
                        if options.dryRun {
                            state.summary.rows += 1
                            state.summary.accepted += 1
                        } else {
                            batch.add(line, record: record)
                        }
                    }
                    if batch.isEmpty, flights.isEmpty { state.summary.throughRow = lastRead }
                    sinceCheck += 1
                    let full = batch.count >= options.batchSize || batch.body.count >= options.maxBatchBytes
                    guard full || sinceCheck >= options.batchSize else { continue }
                    sinceCheck = 0
                    if full {
                        // Up to `maxInFlight` batches at the daemon while the next is read and checked.
                        while flights.count >= options.maxInFlight {
                            while !flights.oldestAnswered, let answer = await group.next() { flights.file(answer) }
                            guard try settleOldest(&flights, &state) else { break readLoop }
                        }
                        if let job = flights.send(&batch, through: lastRead), let sink { group.addTask { await job.run(sink) } }
                    }
                    observer.progress(state.summary.progress)
                    if observer.shouldStop || Task.isCancelled {
                        state.summary.end = .interrupted
                        break
                    }
                }
                // The rest: the last partial batch, and every answer still to come.
                if state.summary.end == .finished || state.summary.end == .interrupted {
                    if let job = flights.send(&batch, through: lastRead), let sink { group.addTask { await job.run(sink) } }
                    while !flights.isEmpty {
                        while !flights.oldestAnswered, let answer = await group.next() { flights.file(answer) }
                        guard try settleOldest(&flights, &state) else { break }
                    }
                    if state.summary.end == .finished { state.summary.throughRow = lastRead }
                }
            } catch {
                return error
            }
            // After a failure, batches still out are awaited here and not counted: a re-run
            // finds whatever they stored.
            return nil
        }
        if let thrown { throw thrown }
        state.summary.rejectsFile = try state.rejects.finish()
        observer.progress(state.summary.progress)
        return state.summary
    }

    /// One batch on its way to the daemon.
    struct Job: Sendable {
        var seq: Int
        var body: [UInt8]

        func run(_ sink: any BatchSink) async -> BatchAnswer {
            do { return BatchAnswer(seq: seq, result: .success(try await sink.submitBatch(body))) } catch { return BatchAnswer(seq: seq, result: .failure(error)) }
        }
    }

    /// The daemon's answer to batch `seq`, or why there was none.
    struct BatchAnswer: Sendable {
        var seq: Int
        var result: Result<BatchResponse, any Error>
    }

    /// Batches sent and not yet filed, oldest first, and the answers that came early.
    struct Flights {
        var sent: [(seq: Int, batch: PendingBatch, throughRow: Int)] = []
        var answered: [Int: Result<BatchResponse, any Error>] = [:]
        var nextSeq = 0
        var count: Int { sent.count }
        var isEmpty: Bool { sent.isEmpty }
        var oldestAnswered: Bool { sent.first.map { answered[$0.seq] != nil } ?? true }

        /// Takes the pending batch, if any, as the next one sent; `throughRow` is the last row
        /// read when it left, so every row up to it is done once it is filed.
        mutating func send(_ batch: inout PendingBatch, through throughRow: Int) -> Job? {
            guard !batch.isEmpty else { return nil }
            defer { nextSeq += 1; batch = PendingBatch() }
            sent.append((nextSeq, batch, throughRow))
            return Job(seq: nextSeq, body: batch.body)
        }

        mutating func file(_ answer: BatchAnswer) { answered[answer.seq] = answer.result }
    }

    /// Files the oldest batch's answer (it has come); false when the daemon did not take it
    /// (the summary then says which rows and why).
    private func settleOldest(_ flights: inout Flights, _ state: inout RunState<some ImportObserver>) throws(ImportError) -> Bool {
        let (seq, batch, throughRow) = flights.sent.removeFirst()
        let result = flights.answered.removeValue(forKey: seq) ?? .failure(ImportError.daemon("no answer"))
        guard try file(result, batch, &state) else { return false }
        state.summary.throughRow = throughRow
        return true
    }

    /// Files the daemon's answer to one batch, line by line.
    private func file(_ result: Result<BatchResponse, any Error>, _ batch: PendingBatch, _ state: inout RunState<some ImportObserver>) throws(ImportError) -> Bool {
        guard let rows = batch.rows else { return true }
        let response: BatchResponse
        do {
            response = try result.get()
            guard response.results.count == batch.count, response.results.allSatisfy({ (1...batch.count).contains($0.line) }) else {
                throw ImportError.daemon("the daemon answered \(response.results.count) results for \(batch.count) lines")
            }
        } catch {
            state.summary.end = .failed("the daemon did not take rows \(rows.lowerBound)–\(rows.upperBound) (\(error)); every row before row \(rows.lowerBound) is done. Run the same command again to go on: rows already queued are recognised, not queued twice")
            state.summary.throughRow = rows.lowerBound - 1
            return false
        }
        for result in response.results {
            let record = batch.records[result.line - 1]
            if let error = result.error {
                try state.reject(record, reason: "the daemon refused it: \(RowMapper.reason(error, columns: state.columns))")
            } else {
                state.summary.rows += 1
                if result.duplicate == true { state.summary.duplicates += 1 } else { state.summary.accepted += 1 }
            }
        }
        return true
    }

    /// How this run keys its rows: as the rows an earlier run stored are keyed (an import begun
    /// before session 6 keyed them by content), else by row. A dry run stores nothing: by row.
    private func keyStyle(_ importID: String) async throws(ImportError) -> ImportKeys.Style {
        guard let sink, !options.dryRun else { return .byRow }
        do {
            return ImportKeys.style(stored: try await sink.storedKeys(importID: importID, limit: 1000), importID: importID)
        } catch {
            throw .daemon("could not ask the daemon for the rows of import \(importID) already stored: \(error)")
        }
    }

    private func checkChannel(_ observer: some ImportObserver) async throws(ImportError) {
        guard let sink else {
            guard options.dryRun else { throw .daemon("an import needs the daemon; only --dry-run works without it") }
            observer.notice("no daemon to ask: channel '\(options.channel)' was not checked")
            return
        }
        let names: [String]
        do {
            names = try await sink.channelNames()
        } catch {
            guard options.dryRun else { throw .daemon("\(error)") }
            observer.notice("could not ask the daemon for its channels (\(error)); channel '\(options.channel)' was not checked")
            return
        }
        guard names.contains(options.channel) else { throw .unknownChannel(options.channel, known: names) }
    }

    /// Reads the header row into column meanings, or says why it cannot be used.
    private func columns(_ header: CSVRecord) throws(ImportError) -> ImportColumns {
        let path = options.path
        if let problem = header.problem { throw .badHeader(path: path, reason: "cannot be read: \(problem)") }
        if header.isBlank { throw .badHeader(path: path, reason: "is blank; it must name the columns, e.g. to,text") }
        var names: [String] = []
        for i in 0..<header.fields.count {
            guard let name = header.text(i) else { throw .notUTF8(path: path, detail: "the header row has bytes that are not UTF-8") }
            if name.utf8.contains(0) { throw .notUTF8(path: path, detail: "the header row holds NUL bytes, as UTF-16 text does") }
            names.append(name)
        }
        do {
            return try ImportColumns(header: names, template: options.template, language: options.language)
        } catch {
            throw .badHeader(path: path, reason: error.description)
        }
    }
}
