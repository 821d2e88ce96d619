import Foundation
import ServiceLifecycle

/// Tells systemd how the daemon is doing, by the sd_notify protocol: one datagram to the Unix
/// socket named by `$NOTIFY_SOCKET` (a leading `@` names an abstract socket). Without a
/// socket (not started by systemd, or `Type=` is not `notify`) every call does nothing.
/// No libsystemd: the protocol is a datagram of `KEY=value` lines.
public struct SystemdNotifier: Sendable {
    /// What to tell.
    public enum State: Sendable {
        /// The socket listens: `systemctl start` returns, units ordered after this one start.
        case ready(status: String)
        /// A reload started (SIGHUP); `ready` again when it is done.
        case reloading
        /// Shutdown started: no new work, in-flight requests finish.
        case stopping(status: String)

        var datagram: String {
            switch self {
            case .ready(let status): "READY=1\nSTATUS=\(status)\nMAINPID=\(getpid())"
            case .reloading: "RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicros())"
            case .stopping(let status): "STOPPING=1\nSTATUS=\(status)"
            }
        }

        static func monotonicMicros() -> UInt64 { UInt64(Monotonic.nanos() / 1_000) }
    }

    /// `$NOTIFY_SOCKET`, or nil.
    public let socketPath: String?

    public init(socketPath: String?) {
        self.socketPath = socketPath.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Sends `state`; returns false when there is no socket or the send failed (systemd gone:
    /// nothing to do about it, the daemon runs on).
    @discardableResult
    public func notify(_ state: State) -> Bool {
        guard let socketPath else { return false }
        return Self.send(state.datagram, to: socketPath)
    }

    static func send(_ text: String, to path: String) -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        // An abstract address is exactly as long as its name; a path one ends at its NUL.
        let length = socklen_t(MemoryLayout.offset(of: \sockaddr_un.sun_path)! + bytes.count + (abstract ? 0 : 1))
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let payload = Array(text.utf8)
        let sent = withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                sendto(fd, payload, payload.count, 0, sa, length)
            }
        }
        return sent == payload.count
    }
}

/// Tells systemd `STOPPING=1` as soon as graceful shutdown begins (the drain can take up to
/// `drain_timeout`; `systemctl status` shows it meanwhile).
struct SystemdShutdownNotice: Service {
    let notifier: SystemdNotifier

    func run() async throws {
        try? await gracefulShutdown()
        notifier.notify(.stopping(status: "draining: in-flight requests finish, queued messages wait for the next start"))
    }
}
