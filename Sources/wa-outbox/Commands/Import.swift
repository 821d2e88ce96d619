import ArgumentParser
import CSVImport
import Dispatch
import Foundation
import OutboxClient
import OutboxCore

/// `wa-outbox import FILE.csv --channel C`: bulk import, resumable and idempotent.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue messages in bulk from a CSV file.",
        discussion: """
            The header row names the columns: to (required); text, or template and language with \
            body.1, body.2, ... (header.1 for a text header parameter, button.N for the Nth button's \
            URL suffix); optional idempotency_key, priority (default bulk), not_before, expires_at. \
            Rows are numbered as a spreadsheet shows them (the header is row 1). Bad rows are \
            reported and written to FILE.rejects.csv (the header plus row and reason), which can be \
            fixed and imported (fix them there: an edited original is a new import, queued again). \
            Running the same import again queues nothing twice: rows already there count as \
            duplicates. Ctrl-C stops after the batches in flight.
            """)

    @OptionGroup var client: ClientOptions

    @Argument(help: "The CSV file (UTF-8, with a header row).")
    var file: String

    @Option(help: "The channel to send on.")
    var channel: String

    @Option(help: "The template of every row whose template cell is empty (or that has no template column).")
    var template: String?

    @Option(help: "The template language code of every row whose language cell is empty, e.g. en_US.")
    var language: String?

    @Flag(help: "Check every row and write the rejects file; queue nothing.")
    var dryRun = false

    @Option(help: "Rows per request to the daemon (1 to 10000).")
    var batchSize = 1000

    func validate() throws {
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1 to 10000") }
    }

    func run() async throws {
        let stop = StopRequest()
        let interrupts = Self.watchInterrupts(stop)
        defer {
            interrupts.cancel()
            signal(SIGINT, SIG_DFL)
        }
        let printer = ProgressPrinter(isTerminal: isatty(STDERR_FILENO) != 0, stop: stop, dryRun: dryRun, write: Self.printError)
        let options = ImportOptions(path: file, channel: channel, template: template, language: language, dryRun: dryRun, batchSize: batchSize)
        let summary: ImportSummary
        if dryRun, (try? client.socketPath()) == nil {
            summary = try await Self.runImport(Importer(options: options, sink: nil), printer)
        } else {
            summary = try await client.withClient { c in try await Self.runImport(Importer(options: options, sink: c), printer) }
        }
        printer.finish(summary)
        if client.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(report(summary))
        }
        switch summary.end {
        case .finished:
            return
        case .interrupted:
            Self.printError("interrupted: every row up to row \(summary.throughRow) is done; run the same command again to go on (nothing is queued twice)\n")
            throw ExitCode(130)
        case .failed(let why):
            throw CLIError(why)
        }
    }

    static func runImport(_ importer: Importer, _ printer: ProgressPrinter) async throws -> ImportSummary {
        do {
            return try await importer.run(observer: printer)
        } catch {
            throw CLIError(error.description)
        }
    }

    /// The summary for people.
    func report(_ s: ImportSummary) -> String {
        var lines: [String] = []
        if s.dryRun {
            lines.append("dry run of import \(s.importID) on \(channel), nothing queued: \(s.rows) rows, \(s.accepted) valid, \(s.rejected) rejected")
        } else {
            lines.append("import \(s.importID) on \(channel): \(s.rows) rows, \(s.accepted) queued, \(s.duplicates) already there, \(s.rejected) rejected")
        }
        if let rejects = s.rejectsFile { lines.append("rejected rows with their reasons: \(rejects) (fix them there and import that file)") }
        if !s.dryRun, s.accepted + s.duplicates > 0 {
            lines.append("follow it: wa-outbox list --import \(s.importID)    cancel what is still queued: wa-outbox cancel --import \(s.importID)")
        }
        return lines.joined(separator: "\n")
    }

    /// Ctrl-C asks the import to stop after the batches in flight; a second one quits at once.
    static func watchInterrupts(_ stop: StopRequest) -> any DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            if stop.request() {
                printError("\nstopping after the batches in flight (Ctrl-C again to quit at once)\n")
            } else {
                Foundation.exit(130)
            }
        }
        source.resume()
        return source
    }

    @Sendable static func printError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
