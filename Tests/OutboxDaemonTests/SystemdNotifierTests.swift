import Foundation
import OutboxDaemon
import Testing
import TestSupport

@Suite("systemd notification (sd_notify)")
struct SystemdNotifierTests {
    let dir = TempDir()

    /// A datagram socket bound at `path` (or an abstract name after "@"), as systemd's is.
    func listen(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let length = socklen_t(MemoryLayout.offset(of: \sockaddr_un.sun_path)! + bytes.count + (bytes.first == 0 ? 0 : 1))
        let bound = withUnsafePointer(to: &address) { p in p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard fd >= 0, bound == 0 else { throw HarnessError("cannot bind \(path): errno \(errno)") }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    func receive(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : nil
    }

    @Test("READY=1, RELOADING=1 and STOPPING=1 arrive as datagrams on $NOTIFY_SOCKET")
    func states() throws {
        let path = dir.file("notify")
        let fd = try listen(path)
        defer { close(fd) }
        let notifier = SystemdNotifier(socketPath: path)
        #expect(notifier.notify(.ready(status: "listening on /run/x.sock")))
        let ready = try #require(receive(fd)).split(separator: "\n")
        #expect(ready.contains("READY=1"))
        #expect(ready.contains("STATUS=listening on /run/x.sock"))
        #expect(ready.contains("MAINPID=\(getpid())"))
        #expect(notifier.notify(.reloading))
        let reloading = try #require(receive(fd))
        #expect(reloading.hasPrefix("RELOADING=1\nMONOTONIC_USEC="))
        #expect(notifier.notify(.stopping(status: "draining")))
        #expect(receive(fd)?.hasPrefix("STOPPING=1\n") == true)
    }

    @Test("an abstract socket (@name) works; no socket or a dead one is not an error")
    func abstractAndAbsent() throws {
        let name = "@wao-test-\(UInt32.random(in: .min ... .max))"
        let fd = try listen(name)
        defer { close(fd) }
        #expect(SystemdNotifier(socketPath: name).notify(.ready(status: "ok")))
        #expect(receive(fd)?.hasPrefix("READY=1") == true)
        #expect(!SystemdNotifier(socketPath: nil).notify(.ready(status: "ok")))
        #expect(!SystemdNotifier(socketPath: "").notify(.ready(status: "ok")))
        #expect(!SystemdNotifier(socketPath: dir.file("nobody-listens")).notify(.ready(status: "ok")))
    }
}
