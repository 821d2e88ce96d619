import Foundation

/// A child process started with `posix_spawn` directly. Foundation's `Process.run` crashed in
/// the suite (a memcpy past a buffer inside it, while other tests opened and closed sockets);
/// this spawns with the few file actions a daemon under test needs: stdin from /dev/null,
/// stdout and stderr appended to a log file, every other descriptor closed. It is reaped by polling `waitpid`.
public final class ChildProcess: @unchecked Sendable {
    public let processIdentifier: Int32
    private let lock = NSLock()
    private var status: Int32?

    public init(executable: String, arguments: [String], logPath: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of the test process (its sockets, its listeners) reaches the child.
        // (glibc 2.34+ has it; Swift's Glibc module does not declare it, so it is looked up.)
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(sym, to: CloseFrom.self)(&actions, 3)
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard rc == 0 else { throw HarnessError("cannot start \(executable): \(String(cString: strerror(rc)))") }
        processIdentifier = pid
    }

    /// Reaps the child if it has exited (without blocking).
    private func poll() -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let status { return status }
        var raw: Int32 = 0
        let r = waitpid(processIdentifier, &raw, WNOHANG)
        guard r == processIdentifier else { return nil }
        // As Foundation reports it: the signal's number when a signal ended it, else the exit code.
        let signaled = (raw & 0x7f) != 0 && (raw & 0x7f) != 0x7f
        status = signaled ? raw & 0x7f : (raw >> 8) & 0xff
        return status
    }

    public var isRunning: Bool { poll() == nil }

    /// The exit code, or the number of the signal that ended it; only once it has exited.
    public var terminationStatus: Int32 { poll() ?? -1 }
}
