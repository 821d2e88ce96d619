import Foundation
import GRDB
import OutboxCore
import OutboxMigrations
import Synchronization

/// The only door to the SQLite outbox. Each method is one transaction that keeps the
/// schema's invariants (claims, recorded answers and releases: all or nothing within a
/// transaction they may share with others of their kind, see `combinedWrite`); the daemon
/// never writes SQL anywhere else.
///
/// Durability: WAL with `synchronous = FULL` on the writer, so a commit that returned is on
/// disk. Throughput comes from callers batching many rows into one commit.
public final class SQLiteOutboxStore: OutboxStore {
    let pool: DatabasePool
    /// The dispatcher's claims and records, group-committed (see `combinedWrite`).
    let combiner: WriteCombiner
    /// Random id of this database, set at creation; part of `biz_opaque_callback_data` so a
    /// status for a message of another database is never matched to one of ours.
    public let instanceID: String
    public let path: String
    /// Rung after each commit that wrote to the event log (long polls and subscribers wait on it).
    public let eventSignal: EventSignal
    /// Rings `eventSignal`; the writer holds it weakly, the store keeps it alive.
    let eventObserver: EventLogObserver
    /// What the last writes found: `/v1/health` tells the truth from it (see `writeHealth`).
    let writes = Mutex(WriteTracker())
    /// How long marketing to a recipient waits after a 131049 (`[marketing] limit_hold`).
    private let marketingHold = Atomic<Int64>(MarketingPolicy.defaultHoldMillis)
    var marketingHoldMillis: Int64 { marketingHold.load(ordering: .relaxed) }
    /// Sets how long marketing to a recipient waits after a 131049 (from the config, at start).
    public func setMarketingHold(millis: Int64) { marketingHold.store(max(0, millis), ordering: .relaxed) }

    /// How long a write waits for a lock another process holds (an operator's `sqlite3`, a
    /// backup) before it fails as unavailable.
    static let busyTimeoutMillis = 5_000

    /// Opens (creating and migrating as needed) the database at `path`.
    public init(path: String) throws(StoreError) {
        self.path = path
        do {
            var config = Configuration()
            config.busyMode = .timeout(Double(Self.busyTimeoutMillis) / 1000)
            config.maximumReaderCount = 4
            config.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            let pool = try DatabasePool(path: path, configuration: config)
            // DatabasePool resets synchronous on the writer when it opens (GOTCHAS.md): set it again.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            try Self.migrator.migrate(pool)
            self.pool = pool
            self.combiner = WriteCombiner(writer: pool)
            // Called on the writer after each commit that changed `event_log`: only the
            // statements that touch that table are observed.
            let signal = EventSignal()
            self.eventSignal = signal
            let observer = EventLogObserver(signal: signal)
            self.eventObserver = observer
            pool.add(transactionObserver: observer, extent: .observerLifetime)
            self.instanceID = try pool.write { db in
                if let id = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'instance_id'") { return id }
                let id = String(UInt32.random(in: .min ... .max), radix: 36)
                try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('instance_id', ?)", arguments: [id])
                return id
            }
        } catch {
            throw StoreError(error, opening: path)
        }
    }

    /// Every embedded migration, registered in file order.
    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in Migrations.all {
            migrator.registerMigration(migration.name) { db in
                try db.execute(sql: migration.sql)
            }
        }
        return migrator
    }

    /// Names of the migrations applied to this database.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try Self.migrator.appliedMigrations(db) }
    }

    /// `PRAGMA synchronous` as the writer connection sees it (2 = FULL).
    public func writerSynchronous() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// Runs `body` in one write transaction, mapping SQLite failures to `StoreError`.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        try await noted { try await self.pool.write(body) }
    }

    /// Runs `body` in the next shared transaction (`WriteCombiner`): for the
    /// dispatcher's frequent small writes, which then share commits (and fsyncs). Returns once
    /// that transaction committed; `body` sees the writes handed in before it.
    func combinedWrite<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        try await noted { try await self.combiner.write(body) }
    }

    /// A write, its failure mapped to `StoreError` and its outcome kept for health
    /// (`lastWrite`: a database that refuses writes is reported as such).
    private func noted<T: Sendable>(_ write: () async throws -> T) async throws(StoreError) -> T {
        do {
            let value = try await write()
            writes.withLock { $0.lastWrite = .init(ok: true, reason: nil, at: ContinuousClock.now) }
            return value
        } catch let error as StoreError {
            throw error
        } catch {
            let e = StoreError(error)
            if case .unavailable(let why) = e { writes.withLock { $0.lastWrite = .init(ok: false, reason: why, at: ContinuousClock.now) } }
            throw e
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw StoreError(error)
        }
    }

    /// Size of the database file and its WAL, in bytes.
    public func sizeBytes() -> Int64 {
        let fm = FileManager.default
        return [path, path + "-wal"].reduce(0) { total, p in
            total + ((try? fm.attributesOfItem(atPath: p)[.size] as? Int64) ?? 0)
        }
    }

    /// The text the daemon puts in `biz_opaque_callback_data` for message `id`.
    public func callbackData(for id: Int64) -> String { "wao:\(instanceID):\(id)" }

    /// The message id inside a `biz_opaque_callback_data` of this database, or nil.
    public func messageID(fromCallbackData text: String) -> Int64? {
        Self.messageID(fromCallbackData: text, instanceID: instanceID)
    }
}

extension SQLiteOutboxStore {
    /// A cheap read that proves the database answers.
    public func ping() async throws(StoreError) {
        _ = try await read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }
}
