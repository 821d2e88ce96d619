import Foundation

/// An exclusive `flock` on a file beside the database, held for the daemon's life, so two
/// daemons never share one outbox (both would send the same messages).
final class DatabaseLock: Sendable {
    private let fd: Int32

    init(path: String) throws(DaemonError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .startup("cannot create the lock file \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw .startup("another wa-outbox daemon is using this database (lock \(path) is held); stop it first")
        }
        self.fd = fd
    }

    deinit { close(fd) }
}

/// Why the daemon could not start.
public enum DaemonError: Error, Sendable, CustomStringConvertible {
    case startup(String)

    public var description: String {
        switch self {
        case .startup(let why): why
        }
    }
}
