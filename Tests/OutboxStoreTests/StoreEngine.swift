import OutboxStore
import OutboxStorePostgres
import Testing
import TestSupport

/// The engines the conformance suite runs each store test against: SQLite always, PostgreSQL
/// when `scripts/test` started one (`WA_OUTBOX_TEST_POSTGRES`; the PostgreSQL suites say so
/// when it is absent).
enum StoreEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgresql

    static var all: [StoreEngine] { TestPostgres.available ? [.sqlite, .postgresql] : [.sqlite] }
    var testDescription: String { rawValue }
}

/// One database under test: `open()` opens (again) the same SQLite file or PostgreSQL schema,
/// so a test can reopen it as a restarted daemon would.
struct StoreFactory: Sendable {
    let engine: StoreEngine
    let path: String
    let schema = TestPostgres.freshSchema()

    init(_ engine: StoreEngine, _ dir: TempDir, name: String = "a.db") {
        self.engine = engine
        self.path = dir.file(name)
    }

    func open() async throws -> any OutboxStore {
        switch engine {
        case .sqlite: return try SQLiteOutboxStore(path: path)
        case .postgresql: return try await PostgresOutboxStore.open(try PostgresURL(parsing: try #require(TestPostgres.url)), schema: schema)
        }
    }
}
