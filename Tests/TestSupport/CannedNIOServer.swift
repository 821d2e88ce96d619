import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A small HTTP/1.1 server on loopback (plain, or TLS with a fixed self-signed certificate for
/// 127.0.0.1) that answers every request with one canned answer and counts the connections it
/// accepted: for the lean `/messages` client's keep-alive, `Connection: close` and TLS paths.
public final class CannedNIOServer: Sendable {
    public let port: Int
    private let channel: any Channel
    private let counters = Counters()

    /// The certificate the TLS server presents (self-signed, for IP 127.0.0.1 and localhost).
    public static var certificate: NIOSSLCertificate { try! NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem) }

    /// - Parameters:
    ///   - status: the answer's status; `body` its JSON body.
    ///   - close: answer with `Connection: close` and close after each answer.
    ///   - tls: serve TLS with `certificate`.
    public init(status: Int = 200, body: String, close: Bool = false, tls: Bool = false) async throws {
        let ssl = tls ? try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: [.certificate(Self.certificate)],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(Self.keyPEM.utf8), format: .pem)))) : nil
        let counters = self.counters
        let answer = Answer(status: status, body: body, close: close)
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                counters.accepted.withLock { $0 += 1 }
                do {
                    let sync = child.pipeline.syncOperations
                    if let ssl { try sync.addHandler(NIOSSLServerHandler(context: ssl)) }
                    try sync.configureHTTPServerPipeline(withErrorHandling: false)
                    try sync.addHandler(CannedAnswerHandler(answer: answer, counters: counters))
                    return child.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return child.eventLoop.makeFailedFuture(error)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
    }

    public var url: String { "http://127.0.0.1:\(port)" }
    public var tlsURL: String { "https://127.0.0.1:\(port)" }
    /// Connections accepted so far.
    public var connections: Int { counters.accepted.withLock { $0 } }
    /// Requests answered so far.
    public var answered: Int { counters.answered.withLock { $0 } }

    public func shutdown() async { try? await channel.close() }

    struct Answer: Sendable {
        var status: Int
        var body: String
        var close: Bool
    }

    final class Counters: Sendable {
        let accepted = Mutex(0)
        let answered = Mutex(0)
    }

    static let certificatePEM = """
-----BEGIN CERTIFICATE-----
MIIBpTCCAUugAwIBAgIUMEJyBoPPaPNiJkErU9VyH2h2F6wwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOd2Etb3V0Ym94IHRlc3QwIBcNMjYxMjAyMDgwMjE5WhgPMjEy
NjExMDgwODAyMTlaMBkxFzAVBgNVBAMMDndhLW91dGJveCB0ZXN0MFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEjyLnUQziPI3FVmHCb407QROrKmFufPDyW8fAjrdL
ZDGg/XN1K0f3vCsB+nNWzI76Uh1xWFG5GF+p/jExhn6A/qNvMG0wHQYDVR0OBBYE
FICfpnUQzEGtScYEAZAoWgxykK+iMB8GA1UdIwQYMBaAFICfpnUQzEGtScYEAZAo
WgxykK+iMA8GA1UdEwEB/wQFMAMBAf8wGgYDVR0RBBMwEYcEfwAAAYIJbG9jYWxo
b3N0MAoGCCqGSM49BAMCA0gAMEUCIQChfoqD/QHwS/oSFGrTZIi3BAzEPLorYG/i
X1g7YwlreAIgaFFNYUBhYMTIUiAHFnQqzHBRMvepOZe/xjFuoLiKu6I=
-----END CERTIFICATE-----
"""

    static let keyPEM = """
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg5rrG7arzXlviOOhH
CW8nEc4UcveDTC3/vvDmPmdnK6WhRANCAASPIudRDOI8jcVWYcJvjTtBE6sqYW58
8PJbx8COt0tkMaD9c3UrR/e8KwH6c1bMjvpSHXFYUbkYX6n+MTGGfoD+
-----END PRIVATE KEY-----
"""
}

/// Answers each request, once its end has come, with the canned answer.
private final class CannedAnswerHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let answer: CannedNIOServer.Answer
    let counters: CannedNIOServer.Counters

    init(answer: CannedNIOServer.Answer, counters: CannedNIOServer.Counters) {
        self.answer = answer
        self.counters = counters
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", String(answer.body.utf8.count))])
        if answer.close { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: answer.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: answer.body)))), promise: nil)
        counters.answered.withLock { $0 += 1 }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        if answer.close { context.close(promise: nil) }
    }
}
