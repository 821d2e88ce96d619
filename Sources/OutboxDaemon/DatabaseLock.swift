import Foundation

/// An exclusive `flock` on the database file itself, held for the daemon's life, so two
/// daemons never share one outbox (both would send the same messages). Locking the file, not
/// a name beside it, keys the lock by the file's identity (device and inode): another path to
/// the same database (`var/../var/outbox.db`, a symlink, a hard link, a bind mount) finds it
/// held. On Linux `flock` and SQLite's POSIX record locks are independent, so this lock
/// does not disturb SQLite's own locking; the descriptor stays open until the daemon ends
/// (closing another descriptor of the file early would drop SQLite's record locks).
///
/// The file is created here, mode 0600, before SQLite opens it: SQLite gives the `-wal` and
/// `-shm` files the database's mode, so all three are the daemon user's alone (they hold
/// customers' messages). An existing database readable by group or others is narrowed to 0600.
final class DatabaseLock: Sendable {
    private let fd: Int32

    init(databasePath path: String) throws(DaemonError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0o600)
        guard fd >= 0 else { throw .startup("cannot open the database \(path): \(String(cString: strerror(errno)))") }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw .startup("the database \(path) is not a regular file")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw .startup("another wa-outbox daemon is using this database (\(path), device \(st.st_dev) inode \(st.st_ino), is locked); stop it first")
        }
        if st.st_mode & 0o077 != 0 {
            _ = fchmod(fd, 0o600)
            for suffix in ["-wal", "-shm"] { _ = chmod(path + suffix, 0o600) }
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
