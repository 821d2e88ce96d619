import CSVImport
import Hummingbird
import OutboxAPI
import OutboxCore
import OutboxStore

/// `POST /v1/imports/{id}/rows?channel=C[&template=T&language=L]`: a batch of an import's rows
/// as CSV, checked and mapped here, where they are stored, instead of on the client and again
/// here as NDJSON. The body's header is the file's header with a first column `wa-outbox-row`;
/// each record is a row of the file, its number first. Each row is keyed by the import and its
/// number (`imp-<id>-r<row>`, as the NDJSON path keys it), so a batch sent again, or an import
/// run again, stores nothing twice. `RowsBody.read` judges the rows with `RowMapper`, as a
/// dry run does; the rules of the door (`admit`) and the store do the rest.
extension MessagesController {
    /// Longest import id, `template` and `language` a request may name.
    static let maxImportIDBytes = 64
    static let maxDefaultBytes = 512

    @Sendable func importRows(_ request: Request, context: BasicRequestContext) async throws -> Response {
        do {
            let importID = try Self.importID(context.parameters.get("id") ?? "")
            let query = request.uri.queryParameters
            let channel = query.get("channel") ?? ""
            guard !channel.isEmpty else { throw APIErrorBody(.invalidField, "is required", field: "channel") }
            let channels = channelNames
            guard channels.contains(channel) else {
                throw APIErrorBody(.unknownChannel, "no channel named '\(channel.prefix(64))' is configured (known: \(channels.sorted().joined(separator: ", ")))", field: "channel")
            }
            let template = try Self.bounded(query.get("template"), "template"), language = try Self.bounded(query.get("language"), "language")
            let bytes = try await Self.body(request, limit: limits.maxBatchBytes)
            let (columns, rows) = try RowsBody.read(bytes, importID: importID, channel: channel, template: template, language: language,
                                                    maxRows: limits.maxBatchLines, nowMillis: clock.nowMillis())
            var rejected: [ImportRowsDocument.Rejected] = []
            // The rows admitted and their submissions, apart: the submissions go to the store
            // as they are, without a copy each.
            var validRows: [Int] = [], submissions: [Submission] = []
            validRows.reserveCapacity(rows.count)
            submissions.reserveCapacity(rows.count)
            // The catalog's verdict on each shape of template row (what `TemplateCheck` reads
            // of a row's message), judged once for the batch: the rows' messages are not built.
            var verdicts: [TemplateShape: TemplateVerdict] = [:]
            var last: (shape: TemplateShape, verdict: TemplateVerdict)?
            for entry in rows {
                switch entry.outcome {
                case .failure(let problem):
                    rejected.append(.init(row: entry.row, reason: problem.description))
                case .success(let submission):
                    var verdict: TemplateVerdict?
                    if let shape = entry.shape, let catalogs {
                        if let last, last.shape == shape {
                            verdict = last.verdict
                        } else {
                            let v = verdicts[shape] ?? TemplateCheck.check(shape.message, catalog: catalogs.catalog(channel))
                            verdicts[shape] = v
                            last = (shape, v)
                            verdict = v
                        }
                    }
                    do {
                        var admitted = try await admit(submission, templateVerdict: verdict)
                        // The store may stage it (a row keyed by its import and number). Not a
                        // file with keys of its own: its rows would then become messages out of
                        // their order (those with a key at once, the others as expanded).
                        if columns.idempotencyKey == nil { admitted.stagedRow = Int64(entry.row) }
                        submissions.append(admitted)
                        validRows.append(entry.row)
                    } catch let e as APIErrorBody {
                        rejected.append(.init(row: entry.row, reason: "the daemon refused it: \(RowMapper.reason(e.error, columns: columns))"))
                    }
                }
            }
            let stored = submissions.isEmpty ? [] : try await commit(submissions)
            expander?.ring()
            var accepted = 0, duplicates = 0
            for (row, outcome) in zip(validRows, stored) {
                switch outcome {
                case .created: accepted += 1
                case .duplicate: duplicates += 1
                case .conflict(let id):
                    rejected.append(.init(row: row, reason: "the daemon refused it: \(RowMapper.reason(Self.keyConflict(id).error, columns: columns))"))
                }
            }
            rejected.sort { $0.row < $1.row }
            return JSONResponse.make(bytes: ImportRowsDocument(accepted: accepted, duplicates: duplicates, rejected: rejected).jsonBytes)
        } catch let e as APIErrorBody {
            return JSONResponse.error(e)
        }
    }

    /// An import id as the client makes them (`ImportKeys.importID`: hex), or another short
    /// name of letters, digits, `-` and `_`: it becomes part of every row's key.
    static func importID(_ raw: String) throws(APIErrorBody) -> String {
        guard !raw.isEmpty, raw.utf8.count <= maxImportIDBytes,
              raw.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2D || $0 == 0x5F })
        else {
            throw APIErrorBody(.invalidField, "an import id is 1 to \(maxImportIDBytes) letters, digits, '-' or '_'", field: "import_id")
        }
        return raw
    }

    static func bounded(_ value: String?, _ name: String) throws(APIErrorBody) -> String? {
        guard let value, !value.isEmpty else { return nil }
        guard value.utf8.count <= maxDefaultBytes else { throw APIErrorBody(.invalidField, "must be at most \(maxDefaultBytes) bytes", field: name) }
        return String(value)
    }
}
