import Foundation
import Logging
@testable import OutboxDaemon
import OutboxStore
import Testing
import TestSupport

/// `[daemon] database`: a file path is SQLite as before; a `postgresql://` URL is PostgreSQL,
/// checked at load, and its password never shows in an error or a log line.
@Suite("Config: database")
struct DatabaseConfigTests {
    let dir = TempDir()
    let channel = "\n[[channels]]\nname = \"a\"\napi_key_env = \"KEY\"\n"

    func parse(_ daemon: String) throws -> DaemonConfig {
        try ConfigLoader.parse("[daemon]\n" + daemon + "\n" + channel, path: "test.toml", folder: dir.path, environment: ["KEY": "k"])
    }

    @Test("a relative path is SQLite, resolved against the config's folder")
    func path() throws {
        let c = try parse("database = \"var/x.db\"")
        #expect(c.database == .sqlite(path: dir.path + "/var/x.db"))
    }

    @Test("a postgresql:// URL is kept as written and names PostgreSQL")
    func url() throws {
        let c = try parse("database = \"postgresql://wa:pw@/outbox?host=/run/postgresql\"")
        guard case .postgres(let u) = c.database else { Issue.record("not PostgreSQL: \(c.database)"); return }
        #expect(u.user == "wa" && u.database == "outbox" && u.socketDirectory == "/run/postgresql")
        #expect("\(c.database)" == "postgresql://wa:***@/outbox?host=/run/postgresql")
    }

    @Test("a URL that does not parse is refused with the key named and without its password")
    func invalid() throws {
        do {
            _ = try parse("database = \"postgresql://wa:hunter2@db:0/outbox\"")
            Issue.record("accepted port 0")
        } catch {
            #expect("\(error)".contains("daemon.database"))
            #expect(!"\(error)".contains("hunter2"))
        }
    }
}
