import OutboxStore

/// Every method of the store contract, on PostgreSQL (the conformance suite runs the store
/// tests against both engines).
extension PostgresOutboxStore: OutboxStore {}
