import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import OutboxCore
import Synchronization

/// `MessageTransport` over HTTP: `/messages` requests through the lean `MessagesClient`
/// (keep-alive connections pooled per host, TLS for https), everything else and any URL it
/// does not take through AsyncHTTPClient. A deadline per request, answers read up to 1 MiB.
public final class HTTPTransport: MessageTransport, AccountAPI {
    let client: HTTPClient
    let clock: any OutboxClock
    let messages: MessagesClient?
    /// Each `/messages` URL and key, read once: its endpoint and head headers (nil: AsyncHTTPClient's).
    let routes = Mutex<[RouteKey: MessagesRoute?]>([:])

    /// - Parameter maxConnectionsPerHost: the pool size; bounds the requests in flight per host.
    /// - Parameter lean: send `/messages` requests through `MessagesClient` (false: all through AsyncHTTPClient).
    /// - Parameter tlsConfiguration: the lean client's TLS; the default trusts the system's roots.
    public init(maxConnectionsPerHost: Int = 64, connectTimeoutMillis: Int64 = 5_000, clock: any OutboxClock = SystemClock(),
                lean: Bool = true, tlsConfiguration: TLSConfiguration = .makeClientConfiguration()) {
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
        self.messages = lean ? MessagesClient(connectTimeoutMillis: connectTimeoutMillis, tlsConfiguration: tlsConfiguration) : nil
    }

    public func shutdown() async {
        await messages?.shutdown()
        try? await client.shutdown()
    }

    public func send(_ r: OutboundRequest) async -> SendResult {
        if let messages, let route = route(r) { return await send(r, route: route, through: messages) }
        return await sendThroughAsyncHTTPClient(r)
    }

    func sendThroughAsyncHTTPClient(_ r: OutboundRequest) async -> SendResult {
        let delegate = SendDelegate(onWritten: r.onWritten)
        do {
            var headers = HTTPHeaders()
            headers.add(name: "D360-API-KEY", value: r.apiKey)
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "User-Agent", value: "wa-outbox")
            let request = try HTTPClient.Request(url: r.url, method: .POST, headers: headers, body: .byteBuffer(ByteBuffer(string: r.body)))
            // The delegate API, not the async one: only it tells when the head was written.
            let task = client.execute(request: request, delegate: delegate, deadline: .now() + .milliseconds(r.timeoutMillis))
            let answer = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
            return ResponseClassifier.classify(
                status: answer.status, body: answer.body, retryAfter: answer.retryAfter, api: r.api, nowMillis: clock.nowMillis())
        } catch {
            // Nothing was written to a connection: the request cannot have reached the API.
            if !delegate.written { return .notReached(detail: Self.notReachedDetail(error)) }
            // The status line came: a 2xx means the API took the message, whatever became of
            // the body. Its wamid is kept when the part that arrived holds it.
            if let partial = delegate.partial, (200...299).contains(partial.status) {
                return PartialAnswer.classify(status: partial.status, partialBody: partial.body, reason: Self.readFailure(error))
            }
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

    /// An error after the request head was written: it may have reached the API, so its
    /// outcome is unknown. (Errors before that are `notReached`, see `send`.)
    static func classify(_ error: any Error) -> SendResult {
        if let e = error as? HTTPClientError { return .unknown(detail: describe(e)) }
        return .unknown(detail: ErrorText.describe(error))
    }

    /// Why a request never left, in words an operator reads in `status` and the log.
    static func notReachedDetail(_ error: any Error) -> String {
        if let e = error as? HTTPClientError {
            switch e {
            case .connectTimeout: return "connect timeout"
            case .tlsHandshakeTimeout: return "TLS handshake timeout"
            case .deadlineExceeded: return "no connection before the request timeout"
            case .getConnectionFromPoolTimeout: return "no free connection before the request timeout"
            case .cancelled: return "cancelled before it was sent"
            default: return e.shortDescription
            }
        }
        if let io = error as? IOError { return "connection failed: \(io.description)" }
        return "connection failed: \(ErrorText.describe(error))"
    }

    /// Why a body read stopped, in words (never the error's own text, which may quote headers).
    static func readFailure(_ error: any Error) -> String {
        switch error {
        case let e as HTTPClientError: describe(e)
        case is SendDelegate.BodyTooLarge: "longer than 1 MiB"
        case is CancellationError: "cancelled while in flight"
        default: "\(type(of: error))"
        }
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
