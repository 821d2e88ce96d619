import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OutboxAPI

/// The CLI's only way to the outbox: HTTP over the daemon's Unix socket. It cannot open the
/// database; everything goes through the daemon.
public final class DaemonClient: Sendable {
    let socketPath: String
    let client: HTTPClient
    let timeoutSeconds: Int64

    public init(socketPath: String, timeoutSeconds: Int64 = 60) {
        self.socketPath = socketPath
        self.timeoutSeconds = timeoutSeconds
        var config = HTTPClient.Configuration()
        // No tracing spans: with none asked for, AsyncHTTPClient still made one per request through
        // the global no-op tracer, parsing the URL with Foundation each time (seen in profiles).
        config.tracing.tracer = nil
        // A daemon that is not running refuses at once (no socket, or ECONNREFUSED); the connect
        // timeout only bounds the client's own event loop on a loaded machine, where 1 s failed calls.
        config.timeout = .init(connect: .seconds(10), read: .seconds(timeoutSeconds))
        config.httpVersion = .http1Only
        config.decompression = .disabled
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    /// Sends a request and returns the status and body; any transport failure becomes
    /// `ClientError.unreachable` with a hint.
    public func call(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String = "application/json") async throws(ClientError) -> (status: Int, body: [UInt8]) {
        guard FileManager.default.fileExists(atPath: socketPath) else {
            throw .unreachable(socketPath: socketPath, reason: "no socket there")
        }
        guard let url = URL(httpURLWithSocketPath: socketPath, uri: path) else {
            throw .unreachable(socketPath: socketPath, reason: "the socket path cannot be used in a URL")
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await client.execute(request, timeout: .seconds(timeoutSeconds))
            let bytes = try await response.body.collect(upTo: 256 << 20)
            return (Int(response.status.code), Array(bytes.readableBytesView))
        } catch {
            throw .unreachable(socketPath: socketPath, reason: "\(error)")
        }
    }

    /// Calls and decodes a 2xx answer as `T`; an error answer becomes `ClientError.api`.
    public func call<T: Decodable>(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String = "application/json", as: T.Type) async throws(ClientError) -> (value: T, raw: [UInt8], status: Int) {
        let (status, bytes) = try await call(method, path, body: body, contentType: contentType)
        guard (200...299).contains(status) else {
            if let e = try? JSONDecoder().decode(APIErrorBody.self, from: Data(bytes)) { throw .api(status: status, e) }
            throw .protocolError("HTTP \(status) from the daemon: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
        do {
            return (try JSONDecoder().decode(T.self, from: Data(bytes)), bytes, status)
        } catch {
            throw .protocolError("unexpected answer from the daemon: \(error)")
        }
    }
}

/// Why a client call failed, worded for the one line the CLI prints.
public enum ClientError: Error, Sendable, CustomStringConvertible {
    case unreachable(socketPath: String, reason: String)
    case api(status: Int, APIErrorBody)
    case protocolError(String)

    public var description: String {
        switch self {
        case .unreachable(let path, let reason):
            "cannot reach the daemon at \(path) (\(reason)); is it running? start it with: wa-outbox serve --config FILE"
        case .api(_, let e):
            e.error.field.map { "\($0): \(e.error.message)" } ?? e.error.message
        case .protocolError(let why): why
        }
    }
}
