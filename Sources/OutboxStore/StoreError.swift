import GRDB

/// Why the database could not do what was asked, in words an operator can act on.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    /// The database cannot take writes now (disk full, locked, read-only, I/O error);
    /// nothing of the failed transaction was stored.
    case unavailable(String)
    /// The database could not be opened or migrated.
    case cannotOpen(path: String, reason: String)
    /// A row the caller named does not exist.
    case notFound
    /// Any other SQLite failure: a bug, reported with SQLite's message.
    case failed(String)
    /// Another daemon sends this channel now (its lease moved on): this one stops sending it.
    case leaseLost(channel: String)

    init(_ error: any Error, opening path: String? = nil) {
        if let e = error as? StoreError { self = e; return }
        guard let db = error as? DatabaseError else {
            self = path.map { .cannotOpen(path: $0, reason: "\(error)") } ?? .failed("\(error)")
            return
        }
        let message = db.message ?? "SQLite error \(db.resultCode.rawValue)"
        switch db.resultCode {
        case .SQLITE_FULL: self = .unavailable("the disk is full (\(message)); free space and retry")
        case .SQLITE_BUSY, .SQLITE_LOCKED: self = .unavailable("the database is locked by another process (\(message)); retry later")
        case .SQLITE_READONLY: self = .unavailable("the database is read-only (\(message)); check its file permissions")
        case .SQLITE_IOERR: self = .unavailable("disk I/O error (\(message)); check the disk")
        case .SQLITE_CANTOPEN, .SQLITE_NOTADB, .SQLITE_CORRUPT, .SQLITE_PERM:
            self = path.map { .cannotOpen(path: $0, reason: message) } ?? .unavailable(message)
        default: self = path.map { .cannotOpen(path: $0, reason: message) } ?? .failed(message)
        }
    }

    public var description: String {
        switch self {
        case .unavailable(let why): "database unavailable: \(why)"
        case .cannotOpen(let path, let reason): "cannot open the database \(path): \(reason)"
        case .notFound: "not found"
        case .failed(let why): "database error: \(why)"
        case .leaseLost(let channel): "channel \(channel) is sent by another daemon now (its lease moved)"
        }
    }
}
