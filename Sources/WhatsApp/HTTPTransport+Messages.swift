import NIOCore
import NIOHTTP1
import OutboxCore

/// The key of a `/messages` route: the URL and the channel's key.
struct RouteKey: Hashable, Sendable {
    var url: String
    var apiKey: String
}

/// A `/messages` URL and key as the lean client sends them.
struct MessagesRoute: Sendable {
    var endpoint: MessagesEndpoint
    var headers: HTTPHeaders
}

extension HTTPTransport {
    /// The route of `r`, read once per URL and key; nil when the lean client does not take it.
    func route(_ r: OutboundRequest) -> MessagesRoute? {
        let key = RouteKey(url: r.url, apiKey: r.apiKey)
        if let known = routes.withLock({ $0[key] }) { return known }
        var route: MessagesRoute?
        if let endpoint = MessagesEndpoint(url: r.url), MessagesEndpoint.isHeaderValue(r.apiKey) {
            route = MessagesRoute(endpoint: endpoint, headers: endpoint.headers(apiKey: r.apiKey))
        }
        routes.withLock { $0[key] = .some(route) }
        return route
    }

    /// Sends `r` through the lean client and classifies how it ended, as the AsyncHTTPClient
    /// path does: never written is `notReached`; a whole answer goes to `ResponseClassifier`;
    /// a 2xx cut short to `PartialAnswer`; anything else after the write is `unknown`.
    func send(_ r: OutboundRequest, route: MessagesRoute, through messages: MessagesClient) async -> SendResult {
        var headers = route.headers
        headers.add(name: "Content-Length", value: String(r.body.utf8.count))
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: route.endpoint.target, headers: headers)
        let (outcome, connectFailure) = await messages.exchange(route.endpoint, head: head, body: r.body, timeoutMillis: r.timeoutMillis,
                                                                onWritten: r.onWritten)
        return Self.classify(outcome, connectFailure: connectFailure, api: r.api, nowMillis: clock.nowMillis())
    }

    /// How an exchange ended, as a `SendResult`.
    static func classify(_ outcome: ExchangeOutcome, connectFailure: MessagesClient.ConnectFailure?, api: ChannelAPI, nowMillis: Int64) -> SendResult {
        switch outcome {
        case .answered(let status, let retryAfter, let body, _):
            return ResponseClassifier.classify(status: status, body: body, retryAfter: retryAfter, api: api, nowMillis: nowMillis)
        case .failed(let failure, written: false, _):
            return .notReached(detail: Self.notReachedDetail(connectFailure, failure))
        case .failed(let failure, written: true, let partial):
            if let partial, (200...299).contains(partial.status) {
                return PartialAnswer.classify(status: partial.status, partialBody: partial.body, reason: Self.words(failure))
            }
            return .unknown(detail: Self.words(failure))
        }
    }

    /// Why a request never left, in the words of the AsyncHTTPClient path.
    static func notReachedDetail(_ connect: MessagesClient.ConnectFailure?, _ failure: ExchangeFailure) -> String {
        switch connect {
        case .connectTimeout: "connect timeout"
        case .deadline: "no connection before the request timeout"
        case .cancelled: "cancelled before it was sent"
        case .failed(let why): "connection failed: \(why)"
        case nil:
            switch failure {
            case .timeout: "no connection before the request timeout"
            case .cancelled: "cancelled before it was sent"
            case .closed: "connection failed: the connection closed before the request was written"
            case .bodyTooLarge: "connection failed: an answer came before the request was written"
            case .error(let why): "connection failed: \(why)"
            }
        }
    }

    /// Why an exchange ended after its request was written, in the words of the AsyncHTTPClient path.
    static func words(_ failure: ExchangeFailure) -> String {
        switch failure {
        case .timeout: "no answer before the request timeout"
        case .closed: "the connection closed before an answer came"
        case .bodyTooLarge: "longer than 1 MiB"
        case .cancelled: "cancelled while in flight"
        case .error(let why): why
        }
    }
}
