import Foundation
import OutboxAPI
import OutboxClient

extension DaemonClient: BatchSink {
    public func channelNames() async throws -> [String] {
        try await call(.GET, "/v1/channels", as: ChannelsDocument.self).value.channels.map(\.name)
    }

    public func submitBatch(_ ndjson: [UInt8]) async throws -> BatchResponse {
        try await call(.POST, "/v1/messages/batch", body: ndjson, contentType: "application/x-ndjson", as: BatchResponse.self).value
    }

    public func storedKeys(importID: String, limit: Int) async throws -> [String?] {
        let query = importID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? importID
        return try await call(.GET, "/v1/messages?import_id=\(query)&limit=\(limit)", as: ListPage.self).value.messages.map(\.idempotencyKey)
    }
}
