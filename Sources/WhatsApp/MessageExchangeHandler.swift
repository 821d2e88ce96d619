import NIOCore
import NIOHTTP1

/// How one request on a connection ended.
enum ExchangeOutcome: Sendable {
    /// The whole answer came. `reusable`: the connection may carry the next request.
    case answered(status: Int, retryAfter: String?, body: [UInt8], reusable: Bool)
    /// It did not. `written`: the request head had been handed to the connection (so it may
    /// have reached the API); `partial`: the status and the part of the body that came.
    case failed(ExchangeFailure, written: Bool, partial: (status: Int, body: [UInt8])?)
}

/// Why an exchange ended without a whole answer.
enum ExchangeFailure: Sendable, Equatable {
    case timeout
    case closed
    case bodyTooLarge
    case cancelled
    /// Any other error of the connection, in words that never quote a header.
    case error(String)
}

/// One request ready to write: its head and body, its deadline and its written report.
struct PreparedRequest: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer
    var deadline: NIODeadline
    var onWritten: (@Sendable () -> Void)?
}

/// The end of a keep-alive HTTP/1.1 connection's pipeline (after NIO's request encoder and
/// response decoder): carries one request at a time, reports the moment its head is written
/// (the pacing's timestamp, and the proof on a failure that it may have reached the API),
/// collects the answer with its body bounded, and ends the exchange at its deadline.
///
/// Touched only on its channel's event loop: `start` and `cancel` are called through
/// `eventLoop.execute`; the pool reads nothing of it but the channel.
final class MessageExchangeHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private struct Exchange {
        var deadline: NIODeadline
        var complete: @Sendable (ExchangeOutcome) -> Void
        var written = false
        var status = 0
        var retryAfter: String?
        var keepAlive = true
        var body: [UInt8] = []
    }

    private let maxBodyBytes: Int
    private var context: ChannelHandlerContext?
    private var exchange: Exchange?
    /// The connection ended (or is ending): nothing more is written on it.
    private var closed = false
    /// The deadline timer: armed at the first exchange's deadline and, when it fires early
    /// (that exchange ended, a later one runs), re-armed at the current one's. One timer per
    /// connection and per deadline, instead of one scheduled and cancelled per request.
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?

    init(maxBodyBytes: Int = 1 << 20) {
        self.maxBodyBytes = maxBodyBytes
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Writes `request` and calls `complete` once with its outcome.
    func start(_ request: PreparedRequest, complete: @escaping @Sendable (ExchangeOutcome) -> Void) {
        guard let context, !closed, exchange == nil else {
            complete(.failed(.closed, written: false, partial: nil))
            return
        }
        exchange = Exchange(deadline: request.deadline, complete: complete)
        if let armed = timerDeadline, armed <= request.deadline {
            // The armed timer fires first and re-arms for this exchange.
        } else {
            arm(request.deadline, context: context)
        }
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(request.body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        // A write error closes the channel, which ends the exchange as not written.
        guard exchange != nil else { return }
        exchange!.written = true
        request.onWritten?()
    }

    private func arm(_ deadline: NIODeadline, context: ChannelHandlerContext) {
        timer?.cancel()
        timerDeadline = deadline
        timer = context.eventLoop.scheduleTask(deadline: deadline) { [weak self] in self?.timerFired() }
    }

    private func timerFired() {
        timer = nil
        timerDeadline = nil
        guard let e = exchange, let context else { return }
        if NIODeadline.now() >= e.deadline { fail(.timeout) } else { arm(e.deadline, context: context) }
    }

    /// Ends the exchange now (its task was cancelled).
    func cancel() { fail(.cancelled) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard exchange != nil else {
            // An answer nobody asked for: the connection cannot be trusted any more.
            closed = true
            context.close(promise: nil)
            return
        }
        switch unwrapInboundIn(data) {
        case .head(let head):
            exchange!.status = Int(head.status.code)
            exchange!.retryAfter = head.headers.first(name: "Retry-After")
            exchange!.keepAlive = head.isKeepAlive
        case .body(let buffer):
            guard exchange!.body.count + buffer.readableBytes <= maxBodyBytes else { return fail(.bodyTooLarge) }
            exchange!.body.append(contentsOf: buffer.readableBytesView)
        case .end:
            let e = exchange!
            exchange = nil
            if !e.keepAlive { fail(.closed) }
            e.complete(.answered(status: e.status, retryAfter: e.retryAfter, body: e.body, reusable: e.keepAlive))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(.error(Self.words(error)))
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        fail(.closed)
        context.fireChannelInactive()
    }

    /// Ends the exchange in progress, if any, and the connection with it.
    private func fail(_ failure: ExchangeFailure) {
        let wasClosed = closed
        closed = true
        timer?.cancel()
        timer = nil
        let e = exchange
        exchange = nil
        if !wasClosed { context?.close(promise: nil) }
        e?.complete(.failed(failure, written: e!.written, partial: e!.status == 0 ? nil : (e!.status, e!.body)))
    }

    /// An error of the connection in words: its type and, for I/O errors, the system's text
    /// (neither can hold a header of the request).
    static func words(_ error: any Error) -> String {
        if let io = error as? IOError { return io.description }
        if let e = error as? HTTPParserError { return "malformed answer (\(e))" }
        return "\(type(of: error))"
    }
}
