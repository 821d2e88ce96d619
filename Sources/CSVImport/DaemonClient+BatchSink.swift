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
        let (status, bytes) = try await call(.POST, "/v1/messages/batch", body: ndjson, contentType: "application/x-ndjson")
        guard (200...299).contains(status) else {
            if let e = try? JSONDecoder().decode(APIErrorBody.self, from: Data(bytes)) { throw ClientError.api(status: status, e) }
            throw ClientError.protocolError("HTTP \(status) from the daemon: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
        guard let response = BatchResponse(parsing: bytes) else {
            throw ClientError.protocolError("unexpected answer from the daemon: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
        return response
    }

    public func submitRows(importID: String, channel: String, template: String?, language: String?, body: [UInt8]) async throws -> ImportRowsDocument {
        func escaped(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }
        var path = "/v1/imports/\(escaped(importID))/rows?channel=\(escaped(channel))"
        if let template { path += "&template=\(escaped(template))" }
        if let language { path += "&language=\(escaped(language))" }
        let (status, bytes) = try await call(.POST, path, body: body, contentType: "text/csv")
        guard (200...299).contains(status) else {
            if let e = try? JSONDecoder().decode(APIErrorBody.self, from: Data(bytes)) { throw ClientError.api(status: status, e) }
            throw ClientError.protocolError("HTTP \(status) from the daemon: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
        guard let response = ImportRowsDocument(parsing: bytes) else {
            throw ClientError.protocolError("unexpected answer from the daemon: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
        return response
    }

    public func storedKeys(importID: String, limit: Int) async throws -> [String?] {
        let query = importID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? importID
        return try await call(.GET, "/v1/messages?import_id=\(query)&limit=\(limit)", as: ListPage.self).value.messages.map(\.idempotencyKey)
    }
}
