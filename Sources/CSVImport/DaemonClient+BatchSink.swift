import Foundation
import OutboxAPI
import OutboxClient

extension DaemonClient: BatchSink {
    public func channelNames() async throws -> [String] {
        try await call(.GET, "/v1/channels", as: ChannelsDocument.self).value.channels.map(\.name)
    }

    /// The answer is read with `BatchResponse(parsing:)`, not `JSONDecoder` (a third of the
    /// client's CPU per row went to decoding answers).
    public func submitBatch(_ ndjson: [UInt8]) async throws -> BatchResponse {
        try await post("/v1/messages/batch", body: ndjson, contentType: "application/x-ndjson", read: BatchResponse.init(parsing:))
    }

    public func submitRows(importID: String, channel: String, template: String?, language: String?, body: [UInt8]) async throws -> ImportRowsDocument {
        func escaped(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }
        var path = "/v1/imports/\(escaped(importID))/rows?channel=\(escaped(channel))"
        if let template { path += "&template=\(escaped(template))" }
        if let language { path += "&language=\(escaped(language))" }
        return try await post(path, body: body, contentType: "text/csv", read: ImportRowsDocument.init(parsing:))
    }

    /// POSTs `body` and reads a 2xx answer with `read`; the daemon's error document, or what
    /// it answered instead, becomes the error.
    private func post<T>(_ path: String, body: [UInt8], contentType: String, read: ([UInt8]) -> T?) async throws -> T {
        let (status, bytes) = try await call(.POST, path, body: body, contentType: contentType)
        guard (200...299).contains(status) else {
            if let e = try? JSONDecoder().decode(APIErrorBody.self, from: Data(bytes)) { throw ClientError.api(status: status, e) }
            throw ClientError.protocolError("HTTP \(status) from the daemon: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
        guard let response = read(bytes) else {
            throw ClientError.protocolError("unexpected answer from the daemon: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
        return response
    }

    public func storedKeys(importID: String, limit: Int) async throws -> [String?] {
        let query = importID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? importID
        return try await call(.GET, "/v1/messages?import_id=\(query)&limit=\(limit)", as: ListPage.self).value.messages.map(\.idempotencyKey)
    }
}
