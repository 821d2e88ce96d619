import OutboxCore
import OutboxStore

/// The parts of the store contract the PostgreSQL store does not implement yet: the webhook
/// inbox, the event feed's reads and retention, imports' cancel, retention passes and the
/// metrics' queue figures. Each fails with a clear error, and the daemon refuses a
/// PostgreSQL database until none is left (`Daemon.build`).
extension PostgresOutboxStore: OutboxStore {
    static func notYet(_ what: String) -> StoreError { .failed("not implemented on PostgreSQL yet: \(what)") }

    public func events(after: Int64, limit: Int, filter: EventFilter, scanLimit: Int) async throws(StoreError) -> EventPage { throw Self.notYet("events") }
    public func eventRange() async throws(StoreError) -> (oldest: Int64, newest: Int64)? { throw Self.notYet("eventRange") }
    public func countEvents(after: Int64, filter: EventFilter, cap: Int) async throws(StoreError) -> Int { throw Self.notYet("countEvents") }
    public func deleteEvents(before cutoffMillis: Int64, limit: Int) async throws(StoreError) -> Int { throw Self.notYet("deleteEvents") }
    public func eraseEventContent(before cutoffMillis: Int64, limit: Int) async throws(StoreError) -> (erased: Int, done: Bool) { throw Self.notYet("eraseEventContent") }
    public func pricedToday(nowMillis: Int64) async throws(StoreError) -> [String: [String: (messages: Int, billable: Int)]] { throw Self.notYet("pricedToday") }
    public func cancel(importID: String, nowMillis: Int64) async throws(StoreError) -> Int { throw Self.notYet("cancel(importID:)") }
    public func storeInbox(_ items: [InboxItem], nowMillis: Int64) async throws(StoreError) -> [Int64] { throw Self.notYet("storeInbox") }
    public func pendingInbox(limit: Int, maxBytes: Int) async throws(StoreError) -> [PendingInbox] { throw Self.notYet("pendingInbox") }
    public func pendingInbox(ids: [Int64]) async throws(StoreError) -> [PendingInbox] { throw Self.notYet("pendingInbox(ids:)") }
    public func applyInbox(_ processed: [ProcessedInbox], nowMillis: Int64) async throws(StoreError) -> InboxEffects { throw Self.notYet("applyInbox") }
    public func queueFigures() async throws(StoreError) -> QueueFigures { throw Self.notYet("queueFigures") }
    public func timelineEndings(afterEventID afterID: Int64) async throws(StoreError) -> TimelineEndings { throw Self.notYet("timelineEndings") }
    public func eraseBodies(changedBefore cutoffMillis: Int64, limit: Int) async throws(StoreError) -> Int { throw Self.notYet("eraseBodies") }
    public func deleteFinished(changedBefore cutoffMillis: Int64, afterID: Int64, limit: Int) async throws(StoreError) -> (deleted: Int, next: Int64?) { throw Self.notYet("deleteFinished") }
    public func erasePayloads(receivedBefore cutoffMillis: Int64, limit: Int) async throws(StoreError) -> (erased: Int, done: Bool) { throw Self.notYet("erasePayloads") }
    public func deletePayloads(receivedBefore cutoffMillis: Int64, limit: Int) async throws(StoreError) -> Int { throw Self.notYet("deletePayloads") }
}
