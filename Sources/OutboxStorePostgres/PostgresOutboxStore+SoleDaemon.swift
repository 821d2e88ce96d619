import OutboxStore
import PostgresNIO

extension PostgresOutboxStore {
    /// The session advisory lock that makes this daemon the only one on the outbox: the pair
    /// (this constant, the outbox's schema), so outboxes in other schemas of one database are
    /// independent.
    static let soleDaemonLockKey: Int32 = 0x7761_6F64

    /// Takes the database for this daemon alone, as SQLite's `flock` does, and holds it until
    /// the store closes (or the process dies: the server then drops the session and its lock).
    /// Several daemons on one database need channel leases, which this version does not have
    /// yet; until then a second daemon is refused instead of sending the same messages twice.
    /// - Returns: false when another daemon holds the database.
    public func takeSoleDaemonLock() async throws(StoreError) -> Bool {
        let (answers, answer) = AsyncStream<Result<Bool, StoreError>>.makeStream()
        let logger = self.logger
        let client = self.client
        let holder = Task {
            do {
                try await client.withConnection { conn in
                    let got = try await conn.value("SELECT pg_try_advisory_lock(\(Self.soleDaemonLockKey), hashtext(current_schema()))", as: Bool.self, logger: logger) ?? false
                    answer.yield(.success(got))
                    answer.finish()
                    guard got else { return }
                    // The lock belongs to this connection's session: keep the connection leased
                    // until the store closes (cancelling this task).
                    while !Task.isCancelled { try await Task.sleep(for: .seconds(3_600)) }
                }
            } catch {
                answer.yield(.failure(StoreError(postgres: error)))
                answer.finish()
            }
        }
        for await result in answers {
            let got = try result.get()
            // A refused attempt's task has ended by itself; only a holder stays.
            if got { holders.withLock { $0.append(holder) } }
            return got
        }
        return false
    }
}
