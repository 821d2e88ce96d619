import OutboxAPI

extension Importer {
    /// Where the rows of a run go.
    enum Route: Equatable {
        /// Nowhere: a dry run judges every row here.
        case dryRun
        /// `POST /v1/messages/batch`, rows mapped here (an import begun with content keys).
        case lines
        /// `POST /v1/imports/{id}/rows`, the body beginning with this header line.
        case rows(header: [UInt8])
    }

    /// One batch on its way to the daemon.
    struct Job: Sendable {
        /// The import a rows batch belongs to, as the endpoint's path and query name it.
        struct Target: Sendable {
            var importID: String
            var channel: String
            var template: String?
            var language: String?
        }

        var seq: Int
        var body: [UInt8]
        var rows: Bool
        var target: Target

        func run(_ sink: any BatchSink) async -> BatchAnswer {
            do {
                let answer: Answer = rows
                    ? .rows(try await sink.submitRows(importID: target.importID, channel: target.channel, template: target.template, language: target.language, body: body))
                    : .lines(try await sink.submitBatch(body))
                return BatchAnswer(seq: seq, result: .success(answer))
            } catch {
                return BatchAnswer(seq: seq, result: .failure(error))
            }
        }
    }

    /// The daemon's answer to batch `seq`, or why there was none.
    struct BatchAnswer: Sendable {
        var seq: Int
        var result: Result<Answer, any Error>
    }

    /// What the daemon answered, by endpoint.
    enum Answer: Sendable {
        case lines(BatchResponse)
        case rows(ImportRowsDocument)
        /// A batch of rows refused here only: nothing was sent.
        case none

        /// The batch's rows refused (with the reason, in the order sent) and how many were
        /// queued now and found already queued; throws when the answer does not fit the batch.
        func tally(_ records: [CSVRecord], columns: ImportColumns) throws(ImportError) -> (rejects: [(CSVRecord, String)], accepted: Int, duplicates: Int) {
            var rejects: [(CSVRecord, String)] = []
            var accepted = 0, duplicates = 0
            switch self {
            case .lines(let response):
                guard response.results.count == records.count, response.results.allSatisfy({ (1...records.count).contains($0.line) }) else {
                    throw .daemon("the daemon answered \(response.results.count) results for \(records.count) lines")
                }
                for result in response.results {
                    if let error = result.error {
                        rejects.append((records[result.line - 1], "the daemon refused it: \(RowMapper.reason(error, columns: columns))"))
                    } else if result.duplicate == true {
                        duplicates += 1
                    } else {
                        accepted += 1
                    }
                }
            case .none:
                guard records.isEmpty else { throw .daemon("no answer for \(records.count) rows") }
            case .rows(let document):
                var byRow: [Int: Int] = [:]
                for (i, r) in records.enumerated() { byRow[r.row] = i }
                guard document.accepted + document.duplicates + document.rejected.count == records.count,
                      Set(document.rejected.map(\.row)).count == document.rejected.count,
                      document.rejected.allSatisfy({ byRow[$0.row] != nil })
                else {
                    throw .daemon("the daemon's answer (\(document.accepted) queued, \(document.duplicates) already there, \(document.rejected.count) refused) does not fit the batch of \(records.count) rows")
                }
                rejects = document.rejected.map { (records[byRow[$0.row]!], $0.reason) }
                (accepted, duplicates) = (document.accepted, document.duplicates)
            }
            return (rejects, accepted, duplicates)
        }
    }

    /// Batches sent and not yet filed, oldest first, and the answers that came early.
    struct Flights {
        var sent: [(seq: Int, batch: PendingBatch, throughRow: Int)] = []
        var answered: [Int: Result<Answer, any Error>] = [:]
        var nextSeq = 0
        var count: Int { sent.count }
        var isEmpty: Bool { sent.isEmpty }
        var oldestAnswered: Bool { sent.first.map { answered[$0.seq] != nil } ?? true }

        /// Takes the pending batch, if any, as the next one sent; `throughRow` is the last row
        /// read when it left, so every row up to it is done once it is filed.
        /// A batch of rows refused here only is filed without a request.
        mutating func send(_ batch: inout PendingBatch, through throughRow: Int, target: Job.Target) -> Job? {
            guard !batch.isEmpty else { return nil }
            defer { nextSeq += 1; batch = PendingBatch(route: batch.route) }
            sent.append((nextSeq, batch, throughRow))
            guard batch.count > 0 else {
                answered[nextSeq] = .success(.none)
                return nil
            }
            return Job(seq: nextSeq, body: batch.body, rows: batch.isRows, target: target)
        }

        mutating func file(_ answer: BatchAnswer) { answered[answer.seq] = answer.result }
    }
}
