import Dispatch
import Foundation
import OutboxAPI
import OutboxClient
import Synchronization

extension Stats {
    /// `stats --watch`: fetches the channels document every `interval` and draws it. On a
    /// terminal it redraws in place like `top` (cursor home, clear, cursor hidden until
    /// Ctrl-C); otherwise it prints one block per interval, so it can be piped or logged.
    func watchLoop() async throws {
        let terminal = isatty(STDOUT_FILENO) == 1
        let stop = Self.trapInterrupt()
        let client = DaemonClient(socketPath: try client.socketPath())
        if terminal { Self.write("\u{1B}[?25l\u{1B}[2J") }
        defer {
            if terminal { Self.write("\u{1B}[?25h\n") }
            for s in stop.sources { s.cancel() }
        }
        let clock = ContinuousClock()
        var next = clock.now
        while !stop.flag.isSet {
            let time = Self.timeFormatter.string(from: Date())
            let view = StatsLiveView(width: terminal ? Self.terminalWidth() : 160)
            var lines: [String]
            do {
                let r = try await client.call(.GET, "/v1/channels", as: ChannelsDocument.self)
                lines = view.lines(r.value, at: time)
            } catch {
                lines = ["wa-outbox  \(time)  cannot reach the daemon: \(error)", "(retrying every \(interval)s; Ctrl-C stops)"].map(view.cut)
            }
            if terminal {
                Self.write("\u{1B}[H" + lines.map { $0 + "\u{1B}[K" }.joined(separator: "\n") + "\u{1B}[J")
            } else {
                Self.write(lines.joined(separator: "\n") + "\n\n")
            }
            next = next.advanced(by: .milliseconds(Int64(interval * 1000)))
            if next < clock.now { next = clock.now }
            // Sleep in short steps so Ctrl-C stops it at once.
            while !stop.flag.isSet, clock.now < next {
                try? await Task.sleep(for: min(.milliseconds(50), next - clock.now))
            }
        }
        await client.shutdown()
    }

    static let timeFormatter: DateFormatter = {
        let f = DateFormatter()
        f.dateFormat = "HH:mm:ss"
        return f
    }()

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 100
    }

    /// Ctrl-C (SIGINT, and SIGTERM) sets the flag instead of killing the process, so the
    /// loop ends and the cursor is restored.
    static func trapInterrupt() -> (flag: InterruptFlag, sources: [any DispatchSourceSignal]) {
        let flag = InterruptFlag()
        let sources = [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { flag.set() }
            source.resume()
            return source
        }
        return (flag, sources)
    }
}

/// Set once by a signal handler, read by the loop.
final class InterruptFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
