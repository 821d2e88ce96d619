import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a secret (an API key, webhook credentials) from a file the way ssh reads its keys:
/// the file must be a regular file owned by the daemon's user that nobody else can read.
///
/// It is opened once and every check is made on the open descriptor (`fstat`), so the file
/// cannot be swapped between the check and the read. `O_NONBLOCK` keeps a FIFO from hanging
/// the open (a reload would otherwise wait forever); it is then refused as not a regular
/// file. A symlink is followed on purpose (secret mounts such as Kubernetes' are symlinks):
/// what is checked is the file it leads to. At most `maxBytes` are read.
enum SecretFile {
    static let maxBytes = 64 << 10

    /// Why a secret file cannot be used; never holds the file's contents.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The file's text with surrounding white space trimmed.
    static func read(_ path: String) throws(Failure) -> String {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { throw Failure(description: "cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Failure(description: "cannot read \(path): \(String(cString: strerror(errno)))") }
        guard st.st_mode & S_IFMT == S_IFREG else { throw Failure(description: "\(path) is not a regular file") }
        if st.st_uid != geteuid() {
            throw Failure(description: "\(path) is owned by uid \(st.st_uid), not by this daemon's user (uid \(geteuid())); run: chown \(geteuid()) \(path)")
        }
        if st.st_mode & 0o077 != 0 {
            throw Failure(description: "\(path) is readable by group or others (mode \(String(st.st_mode & 0o777, radix: 8))); run: chmod 600 \(path)")
        }
        guard st.st_size <= maxBytes else { throw Failure(description: "\(path) is larger than \(maxBytes) bytes; it must hold the secret alone") }
        var bytes = [UInt8](repeating: 0, count: maxBytes + 1)
        var count = 0
        while count <= maxBytes {
            let n = bytes.withUnsafeMutableBytes { b in Glibc.read(fd, b.baseAddress! + count, b.count - count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw Failure(description: "cannot read \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            count += n
        }
        guard count <= maxBytes else { throw Failure(description: "\(path) is larger than \(maxBytes) bytes; it must hold the secret alone") }
        guard let text = String(validating: bytes[..<count], as: UTF8.self) else { throw Failure(description: "\(path) is not UTF-8 text") }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
