import Synchronization

/// A request to stop an import, made from a signal handler's queue (Ctrl-C) and read by the
/// importer between batches, so the batches in flight always complete.
public final class StopRequest: Sendable {
    private let requested = Atomic<Bool>(false)

    public init() {}

    /// Asks the import to stop; true the first time, false when it was already asked.
    @discardableResult
    public func request() -> Bool {
        !requested.exchange(true, ordering: .sequentiallyConsistent)
    }

    public var isRequested: Bool { requested.load(ordering: .sequentiallyConsistent) }
}
