import Foundation

/// Checks the socket path before binding: a stale socket left by a crash is removed; a live
/// one (another daemon answering) or a file that is not a socket is an error, not overwritten.
enum SocketPath {
    static func prepare(_ path: String) throws(DaemonError) {
        guard path.utf8.count < 104 else {
            throw .startup("the socket path \(path) is \(path.utf8.count) bytes; Unix sockets need under 104: choose a shorter [daemon] socket")
        }
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        guard st.st_mode & S_IFMT == S_IFSOCK else {
            throw .startup("\(path) exists and is not a socket; remove it or choose another [daemon] socket")
        }
        if isLive(path) {
            throw .startup("another process is listening on \(path); is wa-outbox already running?")
        }
        unlink(path)
    }

    /// True when something accepts connections on the socket.
    static func isLive(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        let result = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return result == 0
    }
}
