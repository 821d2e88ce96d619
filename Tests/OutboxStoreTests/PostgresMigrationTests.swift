import Foundation
import OutboxMigrationsPostgres
import OutboxStore
import OutboxStorePostgres
import Testing
import TestSupport

/// The PostgreSQL migration line: registered in order, pinned once landed, and applied once
/// when several daemons start together.
@Suite("PostgreSQL migrations", .enabled(if: TestPostgres.available, Comment(rawValue: TestPostgres.skipReason)))
struct PostgresMigrationTests {
    /// name → (UTF-8 length, FNV-1a 64 of the text), as `MigrationPinTests` does for SQLite.
    /// Add a line when a new migration lands; never change one.
    static let pinned: [String: (bytes: Int, fnv: UInt64)] = [
        "0001_init": (9_688, 0x2FE3_1F22_BC2F_40CB),
        "0002_templates_optouts": (3_600, 0x57F6_8C21_F3A2_CE45),
        "0003_event_publication": (1_946, 0x43FC_72A6_E493_7D08),
    ]

    @Test("every file in migrations/postgresql is registered, in order")
    func registered() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../migrations/postgresql").standardized.path
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(PostgresMigrations.all.map { $0.name + ".sql" } == files)
    }

    @Test("every landed PostgreSQL migration is byte for byte what it was when it landed")
    func pinnedUnchanged() {
        for m in PostgresMigrations.all {
            let actual = (bytes: m.sql.utf8.count, fnv: MigrationPinTests.fingerprint(m.sql))
            guard let pin = Self.pinned[m.name] else {
                Issue.record("PostgreSQL migration \(m.name) is not pinned: add \"\(m.name)\": (\(actual.bytes), 0x\(String(actual.fnv, radix: 16, uppercase: true)))")
                continue
            }
            #expect(pin.bytes == actual.bytes && pin.fnv == actual.fnv,
                    "PostgreSQL migration \(m.name) changed after it landed (now \(actual.bytes) bytes, 0x\(String(actual.fnv, radix: 16, uppercase: true))): add a new one instead")
        }
        for name in Self.pinned.keys { #expect(PostgresMigrations.all.contains { $0.name == name }, "landed migration \(name) is gone") }
    }

    @Test("three daemons opening a fresh database at once apply each migration once and share one instance id")
    func concurrentOpen() async throws {
        let url = try PostgresURL(parsing: try #require(TestPostgres.url))
        let schema = TestPostgres.freshSchema()
        let stores = try await withThrowingTaskGroup(of: PostgresOutboxStore.self) { group in
            for _ in 0..<3 { group.addTask { try await PostgresOutboxStore.open(url, schema: schema) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        defer { stores.forEach { $0.close() } }
        #expect(Set(stores.map(\.instanceID)).count == 1)
        for s in stores { #expect(try await s.appliedMigrations() == PostgresMigrations.all.map(\.name)) }
        // Opening again applies nothing and keeps the id.
        let again = try await PostgresOutboxStore.open(url, schema: schema)
        defer { again.close() }
        #expect(again.instanceID == stores[0].instanceID)
    }

    @Test("a server that does not answer is a clear error that names the database without its password")
    func unreachable() async throws {
        let url = try PostgresURL(parsing: "postgresql://wa:hunter2@/wa?host=/nonexistent-wao&connect_timeout=1")
        do {
            let s = try await PostgresOutboxStore.open(url)
            s.close()
            Issue.record("opened a database that does not exist")
        } catch {
            #expect("\(error)".contains("postgresql://wa:***@/wa"))
            #expect(!"\(error)".contains("hunter2"))
        }
    }
}
