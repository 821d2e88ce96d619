import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import OutboxCore
import Synchronization

/// A lean HTTP/1.1 client for the one request the dispatcher sends thousands of times a
/// second: `POST /messages` with a small JSON body. Keep-alive connections are pooled per
/// scheme, host and port (TLS for https); each carries one request at a time.
///
/// Why not AsyncHTTPClient here: profiles of the aggregate dispatch put about a third of the
/// daemon's CPU per send in it (its request bag and pool state machines, a task and a
/// scheduled deadline per request, the URL parse), several times what the exchange itself
/// costs. Everything else (the account API, templates, health) still goes through it.
final class MessagesClient: Sendable {
    /// A pooled connection: its channel and the handler at the end of its pipeline.
    struct Connection: Sendable {
        var channel: any Channel
        var handler: MessageExchangeHandler
        /// When it was last returned to the pool.
        var idleSince: NIODeadline
    }

    /// Why a connection could not be had.
    enum ConnectFailure: Error {
        case connectTimeout
        case deadline
        case failed(String)
        case cancelled
    }

    private let group: any EventLoopGroup
    private let connectTimeoutMillis: Int64
    private let idleTimeout: TimeAmount
    private let tlsConfiguration: TLSConfiguration
    /// Made at the first https connection: loading the system's trust roots costs milliseconds.
    private let madeTLSContext = Mutex<NIOSSLContext?>(nil)
    private let pools = Mutex<[String: [Connection]]>([:])
    private let closed = Mutex(false)

    /// - Parameter tlsConfiguration: for https endpoints; the default trusts the system's roots.
    init(connectTimeoutMillis: Int64, idleTimeoutMillis: Int64 = 60_000,
         tlsConfiguration: TLSConfiguration = .makeClientConfiguration(), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.group = group
        self.connectTimeoutMillis = connectTimeoutMillis
        self.idleTimeout = .milliseconds(max(0, idleTimeoutMillis))
        self.tlsConfiguration = tlsConfiguration
    }

    /// Sends one request and returns how it ended; a connection that cannot be had is
    /// `.failed(_, written: false, _)` with the reason in `connectFailure`.
    func exchange(_ endpoint: MessagesEndpoint, head: HTTPRequestHead, body: String, timeoutMillis: Int64,
                  onWritten: (@Sendable () -> Void)?) async -> (ExchangeOutcome, connectFailure: ConnectFailure?) {
        let deadline = NIODeadline.now() + .milliseconds(timeoutMillis)
        // A pooled connection the server closed a moment ago ends unwritten: take another
        // (once with a fresh one), since nothing of the request left.
        for attempt in 0..<2 {
            let idle = attempt == 0 ? takeIdle(endpoint.poolKey) : nil
            let run = Run()
            // The connection (when a new one is needed), its handshake and the exchange are
            // chained on the event loop: this task suspends once and is resumed once.
            let (outcome, connection, failure) = await withTaskCancellationHandler {
                await withUnsafeContinuation { (c: UnsafeContinuation<(ExchangeOutcome, Connection?, ConnectFailure?), Never>) in
                    let start: @Sendable (Connection) -> Void = { connection in
                        let request = PreparedRequest(head: head, body: connection.channel.allocator.buffer(string: body), deadline: deadline,
                                                      onWritten: onWritten)
                        guard run.begin(connection) else {
                            return c.resume(returning: (.failed(.cancelled, written: false, partial: nil), nil, .cancelled))
                        }
                        connection.handler.start(request) { c.resume(returning: ($0, connection, nil)) }
                    }
                    if let idle {
                        idle.channel.eventLoop.execute { start(idle) }
                    } else {
                        connect(endpoint, deadline: deadline).whenComplete { result in
                            switch result {
                            case .success(let connection): start(connection)
                            case .failure(let error):
                                c.resume(returning: (.failed(.closed, written: false, partial: nil), nil, error as? ConnectFailure ?? .failed("\(error)")))
                            }
                        }
                    }
                }
            } onCancel: {
                run.cancel()
            }
            if let failure { return (outcome, failure) }
            switch outcome {
            case .answered(_, _, _, let reusable):
                if reusable, let connection { putIdle(connection, key: endpoint.poolKey) }
                return (outcome, nil)
            case .failed(.closed, written: false, _) where attempt == 0 && !Task.isCancelled:
                continue
            case .failed(_, written: false, _) where Task.isCancelled:
                return (.failed(.cancelled, written: false, partial: nil), .cancelled)
            case .failed:
                return (outcome, nil)
            }
        }
        return (.failed(.closed, written: false, partial: nil), .failed("the connection closed before the request was written"))
    }

    /// One exchange's cancellation: before its connection is had, it keeps the exchange from
    /// starting; after, it ends the exchange on the connection's event loop.
    final class Run: Sendable {
        private struct State {
            var connection: Connection?
            var cancelled = false
        }
        private let state = Mutex(State())

        /// The exchange starts on `connection`; false when it was cancelled already.
        func begin(_ connection: Connection) -> Bool {
            state.withLock { s in
                if s.cancelled { return false }
                s.connection = connection
                return true
            }
        }

        func cancel() {
            let connection = state.withLock { s in
                s.cancelled = true
                return s.connection
            }
            if let connection {
                let handler = connection.handler
                connection.channel.eventLoop.execute { handler.cancel() }
            }
        }
    }

    /// Closes every idle connection; those in use close as their requests end.
    func shutdown() async {
        closed.withLock { $0 = true }
        let all = pools.withLock { p in defer { p = [:] }; return p.values.flatMap { $0 } }
        for c in all { try? await c.channel.close() }
    }

    private func takeIdle(_ key: String) -> Connection? {
        let now = NIODeadline.now()
        var stale: [Connection] = []
        let found = pools.withLock { p -> Connection? in
            while let c = p[key]?.popLast() {
                if c.channel.isActive, now - c.idleSince < idleTimeout { return c }
                stale.append(c)
            }
            return nil
        }
        for c in stale { c.channel.close(promise: nil) }
        return found
    }

    private func putIdle(_ connection: Connection, key: String) {
        var c = connection
        c.idleSince = .now()
        let kept = closed.withLock { isClosed in
            isClosed ? false : pools.withLock { p in p[key, default: []].append(c); return true }
        }
        if !kept { c.channel.close(promise: nil) }
    }

    /// A new connection, ready to write on (its TLS handshake over), on its event loop; the
    /// future fails with a `ConnectFailure`.
    private func connect(_ endpoint: MessagesEndpoint, deadline: NIODeadline) -> EventLoopFuture<Connection> {
        let loop = group.next()
        let remaining: TimeAmount = deadline - NIODeadline.now()
        guard remaining > .zero else { return loop.makeFailedFuture(ConnectFailure.deadline) }
        let byDeadline = remaining < TimeAmount.milliseconds(connectTimeoutMillis)
        let timeout: TimeAmount = byDeadline ? remaining : .milliseconds(connectTimeoutMillis)
        let handler = MessageExchangeHandler()
        let tls: NIOSSLContext?
        do { tls = endpoint.tls ? try tlsContext() : nil } catch {
            return loop.makeFailedFuture(ConnectFailure.failed("TLS is not available: \(MessageExchangeHandler.words(error))"))
        }
        let handshake = tls == nil ? nil : loop.makePromise(of: Void.self)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                do {
                    let sync = channel.pipeline.syncOperations
                    if let tls, let handshake {
                        // An IP literal is no SNI name: NIOSSL then checks the certificate against the peer's address.
                        let name = endpoint.isIPAddress ? nil : endpoint.host
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: name))
                        try sync.addHandler(HandshakeWatcher(done: handshake))
                    }
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(handler)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        // An IP literal is connected to as it is: getaddrinfo runs on a dispatch queue that a
        // busy cooperative pool can hold up for seconds (AsyncHTTPClient does the same).
        let connected: EventLoopFuture<any Channel>
        if endpoint.isIPAddress, let address = try? SocketAddress(ipAddress: endpoint.host, port: endpoint.port) {
            connected = bootstrap.connect(to: address)
        } else {
            connected = bootstrap.connect(host: endpoint.host, port: endpoint.port)
        }
        return connected.flatMapError { error -> EventLoopFuture<any Channel> in
            if case ChannelError.connectTimeout = error { return loop.makeFailedFuture(byDeadline ? ConnectFailure.deadline : .connectTimeout) }
            return loop.makeFailedFuture(ConnectFailure.failed(Self.describeConnect(error)))
        }.flatMap { channel -> EventLoopFuture<Connection> in
            let connection = Connection(channel: channel, handler: handler, idleSince: .now())
            guard let handshake else { return channel.eventLoop.makeSucceededFuture(connection) }
            // Nothing is written before the handshake is over: a failed one is "not reached".
            let timer = channel.eventLoop.scheduleTask(deadline: deadline) { handshake.fail(ConnectFailure.deadline) }
            return handshake.futureResult.map { _ -> Connection in
                timer.cancel()
                return connection
            }.flatMapError { error -> EventLoopFuture<Connection> in
                timer.cancel()
                channel.close(promise: nil)
                if let f = error as? ConnectFailure { return channel.eventLoop.makeFailedFuture(f) }
                return channel.eventLoop.makeFailedFuture(ConnectFailure.failed("TLS handshake failed: \(MessageExchangeHandler.words(error))"))
            }
        }
    }

    /// The TLS context, made at the first https connection.
    private func tlsContext() throws -> NIOSSLContext {
        try madeTLSContext.withLock { context in
            if let context { return context }
            let made = try NIOSSLContext(configuration: tlsConfiguration)
            context = made
            return made
        }
    }

    /// A connect error in words: NIO's error for all the addresses tried, or the system's text.
    static func describeConnect(_ error: any Error) -> String {
        if let e = error as? NIOConnectionError {
            if let first = e.connectionErrors.first { return "\(first.target): \(MessageExchangeHandler.words(first.error))" }
            if let dns = e.dnsAAAAError ?? e.dnsAError { return "name resolution failed: \(dns)" }
            return "no address for \(e.host)"
        }
        return MessageExchangeHandler.words(error)
    }
}

/// Completes `done` when the TLS handshake is over, or fails it when the connection ends first.
private final class HandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = NIOAny
    let done: EventLoopPromise<Void>
    init(done: EventLoopPromise<Void>) { self.done = done }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted? = event as? TLSUserEvent {
            done.succeed()
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done.fail(error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        done.fail(ChannelError.eof)
        context.fireChannelInactive()
    }
}
