import HTTPTypes
import NIOCore
import NIOHTTPTypes
import OutboxCore

/// Stamps each request with the sandbox's clock as its head is decoded, on the connection's
/// event loop, before Hummingbird hands it to a handler task: the API counts a request when
/// it arrives, and under load the hop to the handler can lag the read by milliseconds, which
/// would blur the sliding-second count the sandbox reports. The stamp travels as a header the
/// handler reads (`arrivalHeader`); a client's own header of that name is replaced.
final class ArrivalStamp: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    static let arrivalHeader = HTTPField.Name("x-sandbox-arrival-ns")!
    let clock: any OutboxClock

    init(clock: any OutboxClock) {
        self.clock = clock
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        head.headerFields[Self.arrivalHeader] = String(clock.now())
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    /// The stamp of `fields`, if the handler put one there.
    static func arrival(in fields: HTTPFields) -> Int64? {
        fields[arrivalHeader].flatMap { Int64($0) }
    }
}
