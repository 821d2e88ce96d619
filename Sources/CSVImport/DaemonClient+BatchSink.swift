import OutboxAPI
import OutboxClient

extension DaemonClient: BatchSink {
    public func channelNames() async throws -> [String] {
        try await call(.GET, "/v1/channels", as: ChannelsDocument.self).value.channels.map(\.name)
    }

    public func submitBatch(_ ndjson: [UInt8]) async throws -> BatchResponse {
        try await call(.POST, "/v1/messages/batch", body: ndjson, contentType: "application/x-ndjson", as: BatchResponse.self).value
    }
}
