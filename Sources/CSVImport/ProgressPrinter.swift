import OutboxCore

/// Shows an import's progress on stderr: on a terminal one line redrawn in place (rows/s,
/// queued, already there, rejected); otherwise a plain line every couple of seconds. The
/// first rejected rows are printed by number and reason; the rest are counted, all of them
/// being in the rejects file.
public final class ProgressPrinter: ImportObserver {
    private let isTerminal: Bool
    private let clock: any OutboxClock
    private let write: (String) -> Void
    private let stop: StopRequest
    private let dryRun: Bool
    private let startedNanos: Int64
    private var lastDrawNanos: Int64
    private var lineShown = false
    private var shownRejects = 0
    private var hiddenRejects = 0
    /// Rejected rows printed one by one before the rest are only counted.
    public static let shownRejectsLimit = 10

    /// `write` receives text for stderr, line ends included.
    public init(isTerminal: Bool, clock: any OutboxClock = SystemClock(), stop: StopRequest, dryRun: Bool = false,
                write: @escaping (String) -> Void) {
        self.isTerminal = isTerminal
        self.dryRun = dryRun
        self.clock = clock
        self.stop = stop
        self.write = write
        self.startedNanos = clock.now()
        self.lastDrawNanos = isTerminal ? 0 : startedNanos
    }

    public var shouldStop: Bool { stop.isRequested }

    public func progress(_ p: ImportProgress) {
        let now = clock.now()
        let interval = isTerminal ? 100 * Nanos.perMillisecond : 2 * Nanos.perSecond
        guard now - lastDrawNanos >= interval else { return }
        lastDrawNanos = now
        if isTerminal {
            write("\r\u{1B}[K" + line(p, now: now))
            lineShown = true
        } else {
            write(line(p, now: now) + "\n")
        }
    }

    public func rejected(row: Int, reason: String) {
        guard shownRejects < Self.shownRejectsLimit else { hiddenRejects += 1; return }
        shownRejects += 1
        clearLine()
        write("row \(row): \(reason)\n")
    }

    public func notice(_ text: String) {
        clearLine()
        write("note: \(text)\n")
    }

    /// Clears the progress line and says how many rejected rows were not printed.
    public func finish(_ summary: ImportSummary) {
        clearLine()
        if hiddenRejects > 0 {
            write("... and \(hiddenRejects) more rejected row\(hiddenRejects == 1 ? "" : "s"), all in \(summary.rejectsFile ?? "the rejects file")\n")
        }
    }

    func line(_ p: ImportProgress, now: Int64) -> String {
        let seconds = max(Double(now - startedNanos) / Double(Nanos.perSecond), 0.001)
        let rate = Int((Double(p.rows) / seconds).rounded())
        return "\(p.rows) rows (\(rate) rows/s): \(p.accepted) \(dryRun ? "valid" : "queued"), \(p.duplicates) already there, \(p.rejected) rejected"
    }

    private func clearLine() {
        guard lineShown else { return }
        write("\r\u{1B}[K")
        lineShown = false
    }
}
