import GRDB

/// Rings `EventSignal` after each commit that changed `event_log`. GRDB asks a transaction
/// observer about every statement the writer runs; `DatabaseRegionObservation` answered by
/// building and intersecting sets of table names each time (about 3 % of the daemon's CPU in
/// the aggregate dispatch run), this one compares one table name.
///
/// Only the writer's queue calls it (GRDB's contract for transaction observers), so its flag
/// needs no lock.
final class EventLogObserver: TransactionObserver, @unchecked Sendable {
    private let signal: EventSignal
    private var changed = false

    init(signal: EventSignal) {
        self.signal = signal
    }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool {
        eventKind.tableName == "event_log"
    }

    func databaseDidChange() {
        changed = true
        stopObservingDatabaseChangesUntilNextTransaction()
    }

    func databaseDidChange(with event: DatabaseEvent) {
        changed = true
        stopObservingDatabaseChangesUntilNextTransaction()
    }

    /// A statement run past GRDB (`RawStatement`) wrote to `event_log` in the transaction now
    /// open. Only on the writer's queue.
    func noteChange() {
        changed = true
    }

    func databaseDidCommit(_ db: Database) {
        guard changed else { return }
        changed = false
        signal.ring()
    }

    func databaseDidRollback(_ db: Database) {
        changed = false
    }
}
