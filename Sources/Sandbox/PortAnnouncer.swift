import Synchronization

/// Hands the bound port to everyone waiting for it; announced once when the server listens,
/// or 0 if it stopped without ever listening.
final class PortAnnouncer: Sendable {
    /// Before listening: who waits; after: the port.
    private enum Phase {
        case waiting([CheckedContinuation<Int, Never>])
        case announced(Int)
    }

    private let phase = Mutex(Phase.waiting([]))

    /// Resumes every waiter with `port`; later calls change nothing.
    func announce(_ port: Int) {
        let waiters: [CheckedContinuation<Int, Never>] = phase.withLock { phase in
            guard case .waiting(let waiters) = phase else { return [] }
            phase = .announced(port)
            return waiters
        }
        for waiter in waiters {
            waiter.resume(returning: port)
        }
    }

    /// The announced port, waiting for it if needed.
    func wait() async -> Int {
        await withCheckedContinuation { continuation in
            let port: Int? = phase.withLock { phase in
                switch phase {
                case .announced(let port):
                    return port
                case .waiting(var waiters):
                    waiters.append(continuation)
                    phase = .waiting(waiters)
                    return nil
                }
            }
            if let port {
                continuation.resume(returning: port)
            }
        }
    }
}
