import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A loopback server that answers every request with the same raw bytes and then closes the
/// connection: for answers no real server gives, such as a 200 whose body is cut off.
public final class CannedHTTPServer: @unchecked Sendable {
    private let fd: Int32
    public let port: Int
    private let answer: [UInt8]
    private let thread: Thread

    /// - Parameter answer: the bytes written after the request's headers arrived.
    public init(answer: String) throws {
        self.answer = Array(answer.utf8)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, len) == 0 && listen(fd, 16) == 0 && getsockname(fd, sa, &len) == 0
            }
        }
        guard ok else { throw HarnessError("cannot listen: \(String(cString: strerror(errno)))") }
        port = Int(UInt16(bigEndian: addr.sin_port))
        let (listener, bytes) = (fd, self.answer)
        thread = Thread {
            while true {
                let c = accept(listener, nil, nil)
                if c < 0 { return }
                var request: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                // Read the headers and whatever of the body came with them, then answer.
                while !request.contains(subsequence: [13, 10, 13, 10]) {
                    let n = buffer.withUnsafeMutableBytes { recv(c, $0.baseAddress, $0.count, 0) }
                    if n <= 0 { break }
                    request += buffer[0..<n]
                }
                usleep(20_000)
                _ = bytes.withUnsafeBytes { Glibc.send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                Glibc.close(c)
            }
        }
        thread.start()
    }

    public var url: String { "http://127.0.0.1:\(port)" }

    deinit {
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence: [UInt8]) -> Bool {
        guard count >= subsequence.count else { return false }
        for i in 0...(count - subsequence.count) where self[i..<(i + subsequence.count)].elementsEqual(subsequence) { return true }
        return false
    }
}
