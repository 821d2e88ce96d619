import Foundation

/// One keep-alive HTTP/1.1 connection with blocking reads and writes, on a thread of its own:
/// the load generators' client. AsyncHTTPClient cost the generators 250-480 µs of CPU per
/// request (thread hops between the task pool and the event loop, and their wake-ups, for every
/// request of a ping-pong load), as much as the daemon they measured; a blocking socket costs a
/// write and a read.
final class BlockingHTTP {
    private let fd: Int32
    private let host: String
    private var buffer: [UInt8] = []
    private var start = 0

    /// Connects to a Unix socket (`socket`) or to `127.0.0.1:port`.
    init(socket path: String?, port: Int?) throws {
        if let path {
            let fd = Foundation.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw BenchError("socket path too long: \(path)") }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, b) in bytes.enumerated() { raw[i] = b }
                raw[bytes.count] = 0
            }
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard rc == 0 else { close(fd); throw BenchError("cannot connect to \(path): errno \(errno)") }
            host = "localhost"
        } else {
            let port = port ?? 80
            let fd = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard rc == 0 else { close(fd); throw BenchError("cannot connect to 127.0.0.1:\(port): errno \(errno)") }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            host = "127.0.0.1:\(port)"
        }
    }

    deinit { close(fd) }

    /// POSTs `body` to `path` and returns the status and the answer's body.
    func post(_ path: String, headers: [[String]], body: [UInt8]) throws -> (status: Int, body: [UInt8]) {
        var head = "POST \(path) HTTP/1.1\r\nHost: \(host)\r\nContent-Length: \(body.count)\r\n"
        for h in headers where h.count == 2 { head += "\(h[0]): \(h[1])\r\n" }
        head += "\r\n"
        try write(Array(head.utf8) + body)
        return try readResponse()
    }

    private func write(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw BenchError("send failed: errno \(errno)") }
            sent += n
        }
    }

    /// Reads more into the buffer; throws when the peer closed.
    private func fill() throws {
        if start > 0, start == buffer.count { buffer.removeAll(keepingCapacity: true); start = 0 }
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
        guard n > 0 else { throw BenchError("connection closed by the server (errno \(errno))") }
        buffer.append(contentsOf: chunk[..<n])
    }

    private func readResponse() throws -> (status: Int, body: [UInt8]) {
        let end: Int
        while true {
            if let i = Self.find([13, 10, 13, 10], in: buffer, from: start) { end = i; break }
            try fill()
        }
        let head = String(decoding: buffer[start..<end], as: UTF8.self)
        start = end + 4
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, let status = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            throw BenchError("not an HTTP answer: \(head.prefix(100))")
        }
        var length: Int?
        var chunked = false
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "content-length" { length = Int(value) }
            if name == "transfer-encoding", value.lowercased().contains("chunked") { chunked = true }
        }
        if chunked { return (status, try readChunked()) }
        let n = length ?? 0
        while buffer.count - start < n { try fill() }
        let body = Array(buffer[start..<start + n])
        start += n
        return (status, body)
    }

    private func readChunked() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let lineEnd: Int
            while true {
                if let i = Self.find([13, 10], in: buffer, from: start) { lineEnd = i; break }
                try fill()
            }
            let size = Int(String(decoding: buffer[start..<lineEnd], as: UTF8.self).split(separator: ";").first ?? "", radix: 16) ?? 0
            start = lineEnd + 2
            while buffer.count - start < size + 2 { try fill() }
            body += buffer[start..<start + size]
            start += size + 2
            if size == 0 { return body }
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard haystack.count - from >= needle.count else { return nil }
        var i = from
        while i + needle.count <= haystack.count {
            if haystack[i] == needle[0], haystack[i..<i + needle.count].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
