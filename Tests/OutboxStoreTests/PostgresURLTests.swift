import OutboxStore
import Testing

/// `[daemon] database`: a file path is SQLite, a libpq URL is PostgreSQL, and a password in it
/// never shows in a description, a dump or an error.
@Suite("PostgreSQL URL")
struct PostgresURLTests {
    @Test("a path is SQLite; postgresql:// and postgres:// are PostgreSQL")
    func location() throws {
        #expect(try DatabaseLocation("var/outbox.db") == .sqlite(path: "var/outbox.db"))
        #expect(try DatabaseLocation("/abs/postgresql.db") == .sqlite(path: "/abs/postgresql.db"))
        guard case .postgres = try DatabaseLocation("postgres://u@h/d") else { Issue.record("postgres:// is a URL"); return }
    }

    @Test("user, password, host, port and database; defaults as libpq's")
    func fields() throws {
        let u = try PostgresURL(parsing: "postgresql://wa:s%40cret@db.example:6432/outbox?sslmode=require&application_name=x")
        #expect(u.user == "wa" && u.password?.value == "s@cret" && u.host == "db.example" && u.port == 6432 && u.database == "outbox")
        #expect(u.sslMode == .require && u.applicationName == "x" && u.socketDirectory == nil && u.socketPath == nil)
        let d = try PostgresURL(parsing: "postgresql://wa@")
        #expect(d.database == "wa" && d.port == 5432 && d.socketDirectory == PostgresURL.defaultSocketDirectory)
        #expect(d.socketPath == "/var/run/postgresql/.s.PGSQL.5432")
        let v6 = try PostgresURL(parsing: "postgresql://wa@[::1]:7000/x")
        #expect(v6.host == "::1" && v6.port == 7000)
    }

    @Test("?host=/dir is a Unix socket folder, as libpq reads it")
    func socket() throws {
        let u = try PostgresURL(parsing: "postgresql://postgres@/wa?host=/tmp/pg%20dir&port=5433")
        #expect(u.host == nil && u.socketDirectory == "/tmp/pg dir" && u.socketPath == "/tmp/pg dir/.s.PGSQL.5433" && u.database == "wa")
        let encoded = try PostgresURL(parsing: "postgresql://postgres@%2Ftmp%2Fpg/wa")
        #expect(encoded.socketDirectory == "/tmp/pg")
    }

    @Test("the password never appears: description, interpolation, dump, location, errors")
    func redacted() throws {
        let text = "postgresql://wa:hunter2@db:5432/outbox"
        let u = try PostgresURL(parsing: text)
        #expect(u.description == "postgresql://wa:***@db:5432/outbox")
        var dumped = ""
        dump(u, to: &dumped)
        for shown in [u.description, "\(u)", String(reflecting: u), dumped, "\(DatabaseLocation.postgres(u))", String(reflecting: DatabaseLocation.postgres(u))] {
            #expect(!shown.contains("hunter2"), "leaked in: \(shown)")
        }
        for bad in ["postgresql://wa:hunter2@db:99999/x", "postgresql://wa:hunter2@db/x?bogus=1", "postgresql://wa:hunter2@db/x?sslmode=maybe",
                    "postgresql://wa:hunter2%zz@db/x"] {
            do {
                _ = try PostgresURL(parsing: bad)
                Issue.record("accepted \(bad)")
            } catch {
                #expect(!"\(error)".contains("hunter2"), "error leaks the password: \(error)")
            }
        }
    }
}

extension PostgresURLTests {
    @Test("options=-c name=value are server settings; search_path names the schema")
    func options() throws {
        let u = try PostgresURL(parsing: "postgresql://wa@/x?host=/tmp&options=-c%20search_path%3Dt_1%20-c%20statement-timeout%3D5s")
        #expect(u.settings == [.init(name: "search_path", value: "t_1"), .init(name: "statement_timeout", value: "5s")])
        #expect(u.schema == "t_1")
        #expect(throws: PostgresURL.ParseError.self) { try PostgresURL(parsing: "postgresql://wa@/x?options=search_path") }
    }
}
