import Synchronization

/// Bytes that may be held at once by requests being received (webhook payloads): a request
/// reserves what it may hold before reading its body and gives it back once stored. A flood
/// of large payloads then costs at most `capacity` bytes of memory instead of one body per
/// open connection; a request that finds no room is answered 503 and comes again later.
final class ByteBudget: Sendable {
    let capacity: Int
    private let used = Mutex(0)

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Reserves `bytes` (at most the whole capacity); false when they do not fit now.
    func reserve(_ bytes: Int) -> Bool {
        let n = min(max(0, bytes), capacity)
        return used.withLock { u in
            guard u + n <= capacity else { return false }
            u += n
            return true
        }
    }

    func release(_ bytes: Int) {
        let n = min(max(0, bytes), capacity)
        used.withLock { $0 = max(0, $0 - n) }
    }

    var inUse: Int { used.withLock { $0 } }
}
