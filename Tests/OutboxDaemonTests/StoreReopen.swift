import OutboxStore

extension SQLiteOutboxStore {
    /// Opens a database after its daemon stopped, to inspect what it left.
    static func reopen(_ path: String) throws -> OutboxStore { try SQLiteOutboxStore(path: path) }
}
