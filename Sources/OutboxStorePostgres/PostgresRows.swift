import Logging
import OutboxCore
import PostgresNIO

extension PostgresRandomAccessRow {
    /// The value of column `name` (a missing column is a bug in the query beside it).
    func get<T: PostgresDecodable>(_ name: String, as: T.Type = T.self) throws -> T { try self[name].decode(T.self) }
}

extension PostgresConnection {
    /// All rows of `query`, each ready to read by column name.
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        try await self.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
    }

    /// The first column of the first row, or nil (no row, or NULL).
    func value<T: PostgresDecodable>(_ query: PostgresQuery, as: T.Type = T.self, logger: Logger) async throws -> T? {
        guard let cell = try await self.query(query, logger: logger).collect().first?.makeRandomAccess().first, cell.bytes != nil else { return nil }
        return try cell.decode(T.self)
    }

    /// Runs a statement for its effect (a `RETURNING` statement counts its rows with `rows`).
    func exec(_ query: PostgresQuery, logger: Logger) async throws {
        _ = try await self.query(query, logger: logger).collect()
    }
}

/// The JSON text stored for an event's data.
func eventData(_ data: [String: JSONValue]?) -> String? { data.map { JSONValue.object($0).canonicalText } }
