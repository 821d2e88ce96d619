import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// Receives one `/messages` request's life from AsyncHTTPClient: tells the caller the moment
/// the request head is written to its connection (the pacing's timestamp), and collects the
/// answer, its body bounded. Whether the head was written also proves, on a failure, whether
/// the request can have reached the API at all.
final class SendDelegate: HTTPClientResponseDelegate, Sendable {
    typealias Response = Answer

    /// The answer: status, `Retry-After`, body.
    struct Answer: Sendable {
        var status: Int
        var retryAfter: String?
        var body: [UInt8]
    }

    /// The body was larger than the bound.
    struct BodyTooLarge: Error, CustomStringConvertible {
        var description: String { "the answer's body is larger than 1 MiB" }
    }

    private struct State {
        var written = false
        var status = 0
        var retryAfter: String?
        var body: [UInt8] = []
    }

    private let state = Mutex(State())
    private let onWritten: (@Sendable () -> Void)?
    private let maxBodyBytes: Int

    init(maxBodyBytes: Int = 1 << 20, onWritten: (@Sendable () -> Void)?) {
        self.maxBodyBytes = maxBodyBytes
        self.onWritten = onWritten
    }

    /// Whether any of the request reached a connection.
    var written: Bool { state.withLock { $0.written } }

    /// The status and the part of the body that arrived, once a response head came.
    var partial: (status: Int, body: [UInt8])? {
        state.withLock { $0.status == 0 ? nil : ($0.status, $0.body) }
    }

    func didSendRequestHead(task: HTTPClient.Task<Answer>, _ head: HTTPRequestHead) {
        state.withLock { $0.written = true }
        onWritten?()
    }

    func didReceiveHead(task: HTTPClient.Task<Answer>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        state.withLock {
            $0.status = Int(head.status.code)
            $0.retryAfter = head.headers.first(name: "Retry-After")
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Answer>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        let fits = state.withLock { s -> Bool in
            guard s.body.count + buffer.readableBytes <= maxBodyBytes else { return false }
            s.body.append(contentsOf: buffer.readableBytesView)
            return true
        }
        return fits ? task.eventLoop.makeSucceededVoidFuture() : task.eventLoop.makeFailedFuture(BodyTooLarge())
    }

    func didFinishRequest(task: HTTPClient.Task<Answer>) throws -> Answer {
        state.withLock { Answer(status: $0.status, retryAfter: $0.retryAfter, body: $0.body) }
    }
}
