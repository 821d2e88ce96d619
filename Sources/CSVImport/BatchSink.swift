import OutboxAPI

/// Where an import sends its rows: the daemon's `POST /v1/imports/{id}/rows` (or, for an
/// import begun with content keys, `POST /v1/messages/batch`). A protocol so the importer's
/// logic stays apart from the transport; `DaemonClient` is the one real sink.
public protocol BatchSink: Sendable {
    /// The names of the channels the daemon has configured.
    func channelNames() async throws -> [String]
    /// Submits NDJSON (one submission per line) and returns one result per line.
    func submitBatch(_ ndjson: [UInt8]) async throws -> BatchResponse
    /// Submits a rows body (`RowsBody`) of import `importID` and returns what became of them.
    func submitRows(importID: String, channel: String, template: String?, language: String?, body: [UInt8]) async throws -> ImportRowsDocument
    /// The idempotency keys of up to `limit` stored messages of import `importID` (newest
    /// first), so a run can tell which style of row keys an earlier run used.
    func storedKeys(importID: String, limit: Int) async throws -> [String?]
}
