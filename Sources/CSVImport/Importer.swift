import OutboxAPI
import OutboxCore

/// Imports one CSV file (CONTRACT.md, "CSV import"): reads it as a stream, sends its rows to
/// the daemon in batches (`POST /v1/imports/{id}/rows`, where each row is checked and mapped by
/// `RowMapper` and stored) and writes the rows refused, with the reason, to the rejects file.
/// Bad rows never stop the good ones. What the file alone shows (a malformed record, the field
/// count, body parameter counts across rows) is judged here; a dry run judges everything here.
///
/// Idempotent: the import id comes from the file's bytes, channel and defaults, and each row
/// without an `idempotency_key` is keyed by the import id and its row number, so running the
/// same import again (after Ctrl-C, a crash, a daemon restart, or by mistake) queues nothing
/// twice and counts what was already there as `duplicates`. An import begun with content keys
/// (before session 6) goes on through `POST /v1/messages/batch`, its rows mapped here.
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
        var counts = BodyCounts(columns: columns, template: options.template)
        let route: Route = options.dryRun ? .dryRun : mapper.keys == .byContent ? .lines : .rows(header: RowsBody.header(header.fields))
        var state = RunState(summary: ImportSummary(importID: importID), rejects: RejectsWriter(path: options.rejectsPath, header: header.fields),
                             observer: observer, columns: columns)
        state.summary.dryRun = options.dryRun
        var batch = PendingBatch(route: route)
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
                    if let reason = record.problem ?? (record.fieldCount == columns.count ? nil : RowMapper.fieldCountReason(record.fieldCount, columns: columns))
                        ?? counts.check(record) {
                        try refuse(record, reason, &batch, &flights, &state)
                    } else {
                        switch route {
                        case .rows:
                            batch.add(RowsBody.line(record), record: record)
                        case .lines, .dryRun:
                            switch mapper.map(record, nowMillis: clock.nowMillis()) {
                            case .rejected(let reason):
                                try refuse(record, reason, &batch, &flights, &state)
                            case .valid(let line):
                                if route == .dryRun {
                                    state.summary.rows += 1
                                    state.summary.accepted += 1
                                } else {
                                    batch.add(line, record: record)
                                }
                            }
                        }
                    }
                    if batch.isEmpty, flights.isEmpty { state.summary.throughRow = lastRead }
                    sinceCheck += 1
                    let full = batch.count + batch.refused.count >= options.batchSize || batch.body.count >= options.maxBatchBytes
                    guard full || sinceCheck >= options.batchSize else { continue }
                    sinceCheck = 0
                    if full {
                        // Up to `maxInFlight` batches at the daemon while the next is read and checked.
                        while flights.count >= options.maxInFlight {
                            while !flights.oldestAnswered, let answer = await group.next() { flights.file(answer) }
                            guard try settleOldest(&flights, &state) else { break readLoop }
                        }
                        if let job = flights.send(&batch, through: lastRead, target: target(importID)), let sink { group.addTask { await job.run(sink) } }
                    }
                    observer.progress(state.summary.progress)
                    if observer.shouldStop || Task.isCancelled {
                        state.summary.end = .interrupted
                        break
                    }
                }
                // The rest: the last partial batch, and every answer still to come.
                if state.summary.end == .finished || state.summary.end == .interrupted {
                    if let job = flights.send(&batch, through: lastRead, target: target(importID)), let sink { group.addTask { await job.run(sink) } }
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

    /// Where this run's batches go: the import's rows endpoint with its channel and defaults.
    private func target(_ importID: String) -> Job.Target {
        Job.Target(importID: importID, channel: options.channel, template: options.template, language: options.language)
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

    /// A row refused here: filed now when nothing is pending before it, else with the batch
    /// being filled, so rows are reported in their order.
    private func refuse(_ record: CSVRecord, _ reason: String, _ batch: inout PendingBatch, _ flights: inout Flights,
                        _ state: inout RunState<some ImportObserver>) throws(ImportError) {
        if batch.isEmpty, flights.isEmpty { try state.reject(record, reason: reason) } else { batch.refuse(record, reason: reason) }
    }

    /// Files the daemon's answer to one batch, with the rows refused here, in row order.
    private func file(_ result: Result<Answer, any Error>, _ batch: PendingBatch, _ state: inout RunState<some ImportObserver>) throws(ImportError) -> Bool {
        let tally: (rejects: [(CSVRecord, String)], accepted: Int, duplicates: Int)
        do {
            tally = try result.get().tally(batch.records, columns: state.columns)
        } catch {
            let first = batch.rows!.lowerBound
            for (record, reason) in batch.refused where record.row < first { try state.reject(record, reason: reason) }
            state.summary.end = .failed("the daemon did not take rows \(first)–\(batch.rows!.upperBound) (\(error)); every row before row \(first) is done. Run the same command again to go on: rows already queued are recognised, not queued twice")
            state.summary.throughRow = first - 1
            return false
        }
        let refused = (tally.rejects + batch.refused.map { ($0.record, $0.reason) }).sorted { $0.0.row < $1.0.row }
        for (record, reason) in refused { try state.reject(record, reason: reason) }
        state.summary.rows += tally.accepted + tally.duplicates
        state.summary.accepted += tally.accepted
        state.summary.duplicates += tally.duplicates
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
