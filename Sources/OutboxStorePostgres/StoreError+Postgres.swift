import OutboxStore
import PostgresNIO

extension StoreError {
    /// PostgreSQL's failures in the store's words. The server's message and SQLSTATE are kept;
    /// the connection's configuration (with its password) never is.
    init(postgres error: any Error, opening location: String? = nil) {
        if let e = error as? StoreError { self = e; return }
        if let t = error as? PostgresTransactionError {
            self = StoreError(postgres: t.closureError ?? t.beginError ?? t.commitError ?? t.rollbackError ?? error, opening: location)
            return
        }
        if let old = error as? PostgresError {
            // The simple query protocol's errors (migrations): the server's text, no configuration in it.
            let why = "PostgreSQL: \(old.description)"
            self = location.map { .cannotOpen(path: $0, reason: why) } ?? .failed(why)
            return
        }
        guard let p = error as? PSQLError else {
            self = location.map { .cannotOpen(path: $0, reason: "\(type(of: error))") } ?? .unavailable("PostgreSQL: \(type(of: error))")
            return
        }
        let state = p.serverInfo?[.sqlState] ?? ""
        let message = p.serverInfo?[.message] ?? "\(p.code)"
        if p.code != .server {
            // No answer from the server: connection refused or lost, pool closed, timeout.
            let why = "cannot reach PostgreSQL (\(p.code))"
            self = location.map { .cannotOpen(path: $0, reason: why) } ?? .unavailable(why + "; retry later")
            return
        }
        switch state {
        case "40001", "40P01": self = .unavailable("PostgreSQL \(state): \(message); retry")
        case "55P03", "57014": self = .unavailable("PostgreSQL \(state): a lock was not granted in time (\(message)); retry")
        case "53100", "53200", "53300": self = .unavailable("PostgreSQL \(state): the server is out of resources (\(message))")
        case "57P01", "57P02", "57P03", "08000", "08003", "08006": self = .unavailable("PostgreSQL \(state): the server is shutting down or unreachable (\(message))")
        case "25006": self = .unavailable("PostgreSQL \(state): the server is read-only (\(message)); is it a standby?")
        default: self = location.map { .cannotOpen(path: $0, reason: "PostgreSQL \(state): \(message)") } ?? .failed("PostgreSQL \(state): \(message)")
        }
    }
}

extension StoreError {
    /// A lock was not granted within `lock_timeout` (SQLSTATE 55P03).
    var isLockTimeout: Bool {
        if case .unavailable(let why) = self { return why.hasPrefix("PostgreSQL 55P03") }
        return false
    }
}
