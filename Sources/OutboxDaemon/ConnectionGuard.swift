import NIOCore
import NIOHTTPTypes
import Synchronization

/// Sits in every connection of a listener, after the HTTP decoder: gives each request a read
/// deadline from its head to the end of its body (a body trickled in byte by byte is cut off),
/// and keeps the connection in its listener's `ConnectionRegistry` so a shutdown can close
/// whatever clients still hold open. Headers that never complete, and kept-alive connections
/// with nothing to do, are Hummingbird's idle timeout's (it counts only whole request parts).
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let registry: ConnectionRegistry
    private let readTimeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(registry: ConnectionRegistry, readTimeout: TimeAmount) {
        self.registry = registry
        self.readTimeout = readTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        registry.add(context.channel)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            deadline?.cancel()
            let channel = context.channel
            deadline = context.eventLoop.assumeIsolated().scheduleTask(in: readTimeout) {
                channel.close(promise: nil)
            }
        case .end:
            deadline?.cancel()
            deadline = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }
}

/// The open connections of one listener, so that shutdown can close those that clients hold
/// past the listener's drain time.
final class ConnectionRegistry: Sendable {
    private let open = Mutex<[ObjectIdentifier: any Channel]>([:])

    var count: Int { open.withLock { $0.count } }

    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        open.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.open.withLock { $0.removeValue(forKey: id) }
        }
    }

    /// Closes every open connection; returns how many there were.
    @discardableResult
    func closeAll() -> Int {
        let channels = open.withLock { Array($0.values) }
        for channel in channels { channel.close(promise: nil) }
        return channels.count
    }
}
