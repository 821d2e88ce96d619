import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection on loopback, for tests that play a client HTTP libraries would not:
/// one that sends nothing, trickles a body, or keeps a connection open doing nothing.
public final class RawConnection: @unchecked Sendable {
    private let fd: Int32

    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            Glibc.close(fd)
            throw HarnessError("connect: \(String(cString: strerror(e)))")
        }
    }

    deinit { Glibc.close(fd) }

    /// Sends all of `text`; false when the peer closed the connection.
    @discardableResult
    public func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// Reads what arrives within `timeoutSeconds`; `closed` when the peer closed (EOF or reset).
    /// The wait is on a thread of its own: blocking one of the few threads of Swift's
    /// cooperative pool would stall the daemon under test in the same process.
    public func read(timeoutSeconds: Double) async -> (bytes: [UInt8], closed: Bool) {
        await withCheckedContinuation { c in
            Thread { c.resume(returning: self.blockingRead(timeoutSeconds: timeoutSeconds)) }.start()
        }
    }

    /// `read`, blocking the calling thread (for a test's own threads only).
    public func blockingRead(timeoutSeconds: Double) -> (bytes: [UInt8], closed: Bool) {
        var out: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return (out, false) }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, Int32(left * 1000) + 1)
            if ready < 0 { return (out, true) }
            if ready == 0 { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return (out, true) }
            out += buffer[0..<n]
        }
    }

    /// Reads until the peer closes; how long that took, or nil if it did not within `timeoutSeconds`.
    public func secondsUntilClosed(timeoutSeconds: Double) async -> Double? {
        let start = Date()
        let (_, closed) = await read(timeoutSeconds: timeoutSeconds)
        return closed ? Date().timeIntervalSince(start) : nil
    }
}
