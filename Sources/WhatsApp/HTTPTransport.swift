import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import OutboxCore

/// `MessageTransport` over AsyncHTTPClient: keep-alive connections pooled per host, a deadline
/// per request, answers read up to 1 MiB.
public final class HTTPTransport: MessageTransport, AccountAPI {
    let client: HTTPClient
    let clock: any OutboxClock

    /// - Parameter maxConnectionsPerHost: the pool size; bounds the requests in flight per host.
    public init(maxConnectionsPerHost: Int = 64, connectTimeoutMillis: Int64 = 5_000, clock: any OutboxClock = SystemClock()) {
        var config = HTTPClient.Configuration()
        // No tracing spans: with none asked for, AsyncHTTPClient still made one per request through
        // the global no-op tracer, parsing the URL with Foundation each time (seen in profiles).
        config.tracing.tracer = nil
        config.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: maxConnectionsPerHost)
        // A refused connection fails its request at once (nothing was sent: our backoff retries it)
        // instead of AsyncHTTPClient re-dialling in a tight loop until the deadline.
        config.connectionPool.retryConnectionEstablishment = false
        config.timeout = .init(connect: .milliseconds(connectTimeoutMillis), read: nil)
        config.redirectConfiguration = .disallow
        config.decompression = .disabled
        config.httpVersion = .http1Only
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        self.clock = clock
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    public func send(_ r: OutboundRequest) async -> SendResult {
        var request = HTTPClientRequest(url: r.url)
        request.method = .POST
        request.headers.add(name: "D360-API-KEY", value: r.apiKey)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "wa-outbox")
        request.body = .bytes(ByteBuffer(string: r.body))
        do {
            let response = try await client.execute(request, timeout: .milliseconds(r.timeoutMillis))
            let body = try await response.body.collect(upTo: 1 << 20)
            return ResponseClassifier.classify(
                status: Int(response.status.code), body: Array(body.readableBytesView),
                retryAfter: response.headers.first(name: "Retry-After"), api: r.api, nowMillis: clock.nowMillis())
        } catch {
            return Self.classify(error)
        }
    }

    public func call(_ method: String, url: String, apiKey: String, body: String?, timeoutMillis: Int64) async throws -> (status: Int, body: [UInt8]) {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "D360-API-KEY", value: apiKey)
        request.headers.add(name: "Content-Type", value: "application/json")
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .milliseconds(timeoutMillis))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), Array(bytes.readableBytesView))
    }

    /// Errors before the request could have left (no connection) are safe to retry; errors
    /// after it may have reached the API are unknown outcomes.
    static func classify(_ error: any Error) -> SendResult {
        if let e = error as? HTTPClientError {
            switch e {
            case .connectTimeout, .getConnectionFromPoolTimeout, .invalidURL, .emptyHost, .emptyScheme, .alreadyShutdown:
                return notSent(e.shortDescription)
            default:
                return .unknown(detail: describe(e))
            }
        }
        if error is NIOConnectionError || error is ChannelError && "\(error)".contains("connect") {
            return notSent("connection failed: \(ErrorText.describe(error))")
        }
        if let io = error as? IOError, [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, ENOENT].contains(io.errnoCode) {
            return notSent("connection failed: \(io.description)")
        }
        return .unknown(detail: ErrorText.describe(error))
    }

    static func notSent(_ detail: String) -> SendResult {
        .failed(APIFailure(httpStatus: nil, code: nil, title: "not sent", details: detail), .retry, retryAfterMillis: nil)
    }

    static func describe(_ e: HTTPClientError) -> String {
        switch e {
        case .deadlineExceeded: "no answer before the request timeout"
        case .readTimeout: "read timeout"
        case .remoteConnectionClosed: "the connection closed before an answer came"
        case .cancelled: "cancelled while in flight"
        default: e.shortDescription  // never "\(e)": it can print the refused key (ErrorText)
        }
    }
}
