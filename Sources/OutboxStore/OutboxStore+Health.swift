import GRDB

extension OutboxStore {
    /// When the API last accepted a request of `channel`, looking back to `sinceMillis` at most
    /// (newest first through the attempts' time index, so an active channel costs one row).
    public func lastAccepted(channel: String, sinceMillis: Int64) async throws(StoreError) -> Int64? {
        try await read { db in
            try Int64.fetchOne(db, sql: """
                SELECT at FROM attempts WHERE at >= ? AND channel = ? AND outcome = 'accepted' ORDER BY at DESC LIMIT 1
                """, arguments: [sinceMillis, channel])
        }
    }
}
