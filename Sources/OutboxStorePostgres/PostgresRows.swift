import Logging
import OutboxCore
import OutboxStore
import PostgresNIO
import Synchronization

extension PostgresRandomAccessRow {
    /// The value of column `name` (a missing column is a bug in the query beside it).
    func get<T: PostgresDecodable>(_ name: String, as: T.Type = T.self) throws -> T { try self[name].decode(T.self) }
}

extension PostgresConnection {
    /// Fails on a connection already closed (see `guarded`).
    func checkOpen() throws {
        if isClosed { throw StoreError.unavailable("the PostgreSQL connection was closed (the server ended the session); retry") }
    }

    /// Runs one query so that a closed connection fails it instead of hanging it. postgres-nio
    /// 1.33.2 writes a query to its channel without a promise: written after the channel
    /// closed, the query never ends. A daemon woken from SIGSTOP, whose sessions the server
    /// ended meanwhile (`fenceOut`, the idle timeout), reads a result and the end of its
    /// session in one burst; its next query went to the closed channel and its claim or
    /// recorder hung for good. A watchdog on the connection's event loop looks every second
    /// while the query runs and, once the connection is closed, fails it (the hung part is
    /// left behind: it holds no lock and no lease).
    func guarded<T: Sendable>(_ op: @escaping @Sendable () async throws -> T) async throws -> T {
        try checkOpen()
        let pending = Mutex<CheckedContinuation<T, any Error>?>(nil)
        let finish: @Sendable (Result<T, any Error>) -> Void = { result in
            pending.withLock { c in
                c?.resume(with: result)
                c = nil
            }
        }
        return try await withCheckedThrowingContinuation { continuation in
            pending.withLock { $0 = continuation }
            let watchdog = eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { task in
                guard self.isClosed else { return }
                task.cancel()
                finish(.failure(StoreError.unavailable("the PostgreSQL connection closed during a query (the server ended the session); retry")))
            }
            Task.immediate {
                do {
                    let value = try await op()
                    watchdog.cancel()
                    finish(.success(value))
                } catch {
                    watchdog.cancel()
                    finish(.failure(error))
                }
            }
        }
    }

    /// All rows of `query`, each ready to read by column name.
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        try await guarded { try await self.query(query, logger: logger).collect().map { $0.makeRandomAccess() } }
    }

    /// The first column of the first row, or nil (no row, or NULL).
    func value<T: PostgresDecodable & Sendable>(_ query: PostgresQuery, as: T.Type = T.self, logger: Logger) async throws -> T? {
        try await guarded {
            guard let cell = try await self.query(query, logger: logger).collect().first?.makeRandomAccess().first, cell.bytes != nil else { return nil }
            return try cell.decode(T.self)
        }
    }

    /// Runs a statement for its effect (a `RETURNING` statement counts its rows with `rows`).
    func exec(_ query: PostgresQuery, logger: Logger) async throws {
        try await guarded { _ = try await self.query(query, logger: logger).collect() }
    }

    /// `body` in one transaction, its BEGIN, COMMIT and ROLLBACK guarded as every query is
    /// (postgres-nio's `withTransaction` sends them unguarded).
    func transaction<T>(logger: Logger, isolation: isolated (any Actor)? = #isolation, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await exec("BEGIN", logger: logger)
        let result: T
        do {
            result = try await body(self)
        } catch {
            try? await exec("ROLLBACK", logger: logger)
            throw error
        }
        try await exec("COMMIT", logger: logger)
        return result
    }
}

/// The JSON text stored for an event's data.
func eventData(_ data: [String: JSONValue]?) -> String? { data.map { JSONValue.object($0).canonicalText } }
